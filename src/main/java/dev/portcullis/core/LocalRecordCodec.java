package dev.portcullis.core;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Carries bus messages that are Java records between verticles of one process, by reference: records are
 * immutable, so sender and receiver may share one. The gateway is never clustered, so there is no wire form.
 */
final class LocalRecordCodec implements MessageCodec<Record, Record> {

  static final String NAME = "portcullis-local-record";

  @Override
  public void encodeToWire(Buffer buffer, Record record) {
    throw new UnsupportedOperationException("bus records are local to one process: " + record.getClass().getName());
  }

  @Override
  public Record decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException("bus records are local to one process");
  }

  @Override
  public Record transform(Record record) {
    return record;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
