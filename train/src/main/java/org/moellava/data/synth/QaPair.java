package org.moellava.data.synth;

/** One question with its short answer (a single word, yes or no). */
public record QaPair(QuestionType type, String question, String answer) {}
