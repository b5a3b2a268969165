import { RedactedTail } from '../../lib/sinks/redacted-tail';
import { SECRET } from './fixtures';

describe('RedactedTail', () => {
  it('redacts a secret that arrives split across chunks', () => {
    const tail = new RedactedTail([SECRET]);
    tail.push(Buffer.from(`before ${SECRET.slice(0, 20)}`));
    tail.push(Buffer.from(`${SECRET.slice(20)} after`));
    expect(tail.text()).toBe('before [redacted] after');
  });

  it('redacts a secret split inside a multi-byte UTF-8 character boundary', () => {
    const secret = `é${SECRET}é`;
    const bytes = Buffer.from(`x ${secret} y`);
    const tail = new RedactedTail([secret]);
    tail.push(bytes.subarray(0, 3)); // ends in the middle of the first "é"
    tail.push(bytes.subarray(3));
    expect(tail.text()).toBe('x [redacted] y');
  });

  it('keeps only the end of a long output, marked with an ellipsis', () => {
    const tail = new RedactedTail([SECRET], 100);
    tail.push('a'.repeat(10_000));
    tail.push('THE END');
    const text = tail.text();
    expect(text.startsWith('…')).toBe(true);
    expect(text.endsWith('THE END')).toBe(true);
    expect(text.length).toBeLessThanOrEqual(101);
  });

  it('never leaves the tail of a secret behind when dropping old output', () => {
    // The limit is shorter than the secret, and the secret trickles in one character at a time, so old
    // output is dropped while the secret is still incomplete.
    for (let pad = 0; pad < 60; pad += 7) {
      const tail = new RedactedTail([SECRET], 50);
      tail.push('x'.repeat(pad));
      for (const c of SECRET) tail.push(c);
      tail.push('y'.repeat(20));
      const text = tail.text();
      expect(text).not.toContain(SECRET.slice(-12));
    }
  });

  it('hides a prefix of the secret left at the very end by a program that stopped mid-echo', () => {
    const tail = new RedactedTail([SECRET]);
    tail.push(`echo: ${SECRET.slice(0, 30)}`);
    expect(tail.text()).toBe('echo: [redacted]');
  });

  it('returns an empty text for no output', () => {
    expect(new RedactedTail([SECRET]).text()).toBe('');
  });
});
