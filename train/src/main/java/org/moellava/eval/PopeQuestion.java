package org.moellava.eval;

/**
 * One POPE probe.
 *
 * @param imageId the image
 * @param object the object asked about
 * @param present whether it is in the image (the correct answer is yes)
 * @param question the question text
 */
public record PopeQuestion(String imageId, String object, boolean present, String question) {}
