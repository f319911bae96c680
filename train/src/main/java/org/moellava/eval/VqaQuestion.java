package org.moellava.eval;

/**
 * One VQA item.
 *
 * @param id question id
 * @param imageId id of the image asked about (null when text-only)
 * @param type question type, the key of per-type accuracy
 * @param question the question
 * @param answer the reference answer
 */
public record VqaQuestion(String id, String imageId, String type, String question, String answer) {}
