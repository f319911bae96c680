package org.moellava.safetensors;

/**
 * One tensor's header entry in a safetensors file.
 *
 * @param name the tensor's key
 * @param dtype its element type
 * @param shape its dimensions
 * @param begin first byte of its data, relative to the start of the data section
 * @param end one past its last byte, relative to the start of the data section
 */
public record SafetensorsEntry(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {

  /** The number of elements, the product of the shape. */
  public long numElements() {
    long n = 1;
    for (long d : shape) n *= d;
    return n;
  }

  /** The size of the data in bytes. */
  public long byteLength() {
    return end - begin;
  }
}
