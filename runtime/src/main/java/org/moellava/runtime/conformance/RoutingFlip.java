package org.moellava.runtime.conformance;

/**
 * A token whose chosen expert set differs from the reference's beyond the near-tie allowance ({@link NearTie}).
 *
 * @param caseId the inputs compared (a suite case, or the export's check name)
 * @param layer the decoder layer of the router
 * @param call 0 for the prefill, n for the n-th decode step
 * @param row batch row
 * @param position position within the call
 * @param reference the reference's experts, best first
 * @param actual this backend's experts, best first
 * @param margin the reference's gap between its k-th and (k+1)-th router logit
 * @param gap the reference's gap that this backend's choice overturned ({@link NearTie#gap})
 * @param allowance the largest gap an error within tolerance can overturn on this token ({@link NearTie#allowance})
 */
public record RoutingFlip(String caseId, int layer, int call, int row, int position, int[] reference, int[] actual,
    double margin, double gap, double allowance) {}
