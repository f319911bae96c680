package org.moellava.api;

/**
 * One generated token, as streamed to a {@link TokenListener}.
 *
 * @param index 0 for the first generated token
 * @param id the token id
 * @param text text that became final with this token; may be empty (a special token, or the start of a
 *     character or stop string held back until complete)
 * @param routedExperts {@code [moeLayer][k]}: the experts, best first, that each MoE layer
 *     ({@link ModelDetails#moeLayers()} order) routed the position that produced this token to
 */
public record Token(int index, int id, String text, int[][] routedExperts) {}
