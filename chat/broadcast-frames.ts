/**
 * One write per socket per broadcast.
 *
 * socket.io-adapter builds each broadcast's WebSocket frame once
 * (`wsPreEncodedFrame`: the frame header and the payload, two buffers) and
 * engine.io hands it to every socket's ws sender, which writes a two-buffer
 * frame as cork + write + write + uncork: Node's writev path, per socket. Joined
 * into one buffer once per broadcast, each socket gets one plain write (no
 * cork, no chunk list), the same bytes. At 10,000 viewers that is done 10,000
 * times per batch, so it is worth the one copy.
 *
 * This reaches into a socket.io-adapter internal (`_encode`, used by the
 * in-memory adapter and the Redis ones built on it, for local delivery);
 * should a version stop setting the field, nothing changes but the saving.
 */
interface EncodingAdapter {
  _encode?: (packet: unknown, packetOpts: { wsPreEncodedFrame?: unknown }) => unknown;
}

export function joinBroadcastFrames(adapter: unknown): boolean {
  const a = adapter as EncodingAdapter;
  const encode = a._encode;
  if (typeof encode !== 'function') return false;
  a._encode = function (this: unknown, packet, packetOpts) {
    const encoded = encode.call(this, packet, packetOpts);
    const frame = packetOpts.wsPreEncodedFrame;
    if (Array.isArray(frame) && frame.length === 2 && frame.every((b) => Buffer.isBuffer(b))) {
      packetOpts.wsPreEncodedFrame = [Buffer.concat(frame as Buffer[])];
    }
    return encoded;
  };
  return true;
}
