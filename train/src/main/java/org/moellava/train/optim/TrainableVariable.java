package org.moellava.train.optim;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * A float variable a stage trains, with its stable name (see {@code org.moellava.graph.variables.VariableNames}).
 *
 * @param name the variable's name
 * @param variable the {@code VariableV2} output
 * @param decays whether AdamW's decoupled weight decay applies (matrices yes; biases, norms and embeddings no)
 */
public record TrainableVariable(String name, Operand<TFloat32> variable, boolean decays) {}
