import { redactStreamKeys } from './log-redaction';

describe('redactStreamKeys', () => {
  it('cuts the key out of stream paths and of the refused-path line, whatever it holds', () => {
    const key = 'abcDEF123_-xyz';
    expect(redactStreamKeys(`RTMP session 1 127.0.0.1 start push /live/${key}`)).toBe('RTMP session 1 127.0.0.1 start push /live/***');
    expect(redactStreamKeys(`RTMP session 1 127.0.0.1 push /live/${key} error, busy`)).toBe('RTMP session 1 127.0.0.1 push /live/*** error, busy');
    for (const name of [`${key}.bad`, `${key} with spaces`, `${key},comma`, `${key}\nnext`]) {
      const line = redactStreamKeys(`RTMP session 2 127.0.0.1 invalid stream path characters: app=live, name=${name}`);
      expect(line).toBe('RTMP session 2 127.0.0.1 invalid stream path characters: app=live, name=***');
    }
  });
});
