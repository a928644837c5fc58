import { displayWebhookUrl } from './webhook-url';

describe('displayWebhookUrl', () => {
  it('keeps a plain URL as it is', () => {
    expect(displayWebhookUrl('https://hooks.example/in/live')).toBe('https://hooks.example/in/live');
  });

  it('hides every query value and a password, keeping the names', () => {
    expect(displayWebhookUrl('https://bot:s3cret@hooks.example/in?token=abc&channel=live&token=def')).toBe('https://bot:***@hooks.example/in?token=***&channel=***');
  });

  it('does not echo a URL it cannot parse', () => {
    expect(displayWebhookUrl('not a url?token=abc')).toBe('(invalid URL)');
  });
});
