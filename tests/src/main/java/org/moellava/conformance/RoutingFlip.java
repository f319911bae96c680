package org.moellava.conformance;

/**
 * A token whose chosen expert set differs from the reference's.
 *
 * @param caseId the case
 * @param layer the decoder layer of the router
 * @param call 0 for the prefill, n for the n-th decode step
 * @param row batch row
 * @param position position within the call
 * @param reference the reference's experts, best first
 * @param actual this backend's experts, best first
 * @param margin the reference's gap between its k-th and (k+1)-th router logit
 */
public record RoutingFlip(String caseId, int layer, int call, int row, int position, int[] reference, int[] actual,
    double margin) {}
