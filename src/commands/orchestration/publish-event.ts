import { Args, Flags } from '@oclif/core';
import { BaseCommand, EXIT } from '../../cli/base-command.js';
import { EventsClient, type PublishEventResponse } from '../../client/events-client.js';

export default class PublishEvent extends BaseCommand<typeof PublishEvent> {
  static override summary = "Publish an event on the sidecar's event bus";
  static override description = 'Answers once the event is durable (it survives a restart of the sidecar) and every matching waiter was woken.';
  static override examples = [
    '<%= config.bin %> orchestration publish-event build_done --topic ci --data \'{"issue_id":"42","ok":true}\'',
    '<%= config.bin %> orchestration publish-event review_requested --data \'{"pr":7}\' --correlation-id pr-7 --ttl 3600 --json',
  ];

  static override args = {
    type: Args.string({ description: 'Event type', required: true }),
  };

  static override flags = {
    topic: Flags.string({ description: 'Topic', default: 'coordination' }),
    data: Flags.string({ description: 'Event data as a JSON object', default: '{}' }),
    publisher: Flags.string({ description: "Publisher (default: the token's subject; only admin tokens may name another)" }),
    'correlation-id': Flags.string({ description: 'Correlation id' }),
    ttl: Flags.integer({ description: 'Time to live in seconds', min: 1, max: 86_400 }),
  };

  async run(): Promise<PublishEventResponse> {
    const f = this.flags;
    let data: unknown;
    try {
      data = JSON.parse(f.data);
    } catch (err) {
      this.error(`--data is not valid JSON: ${(err as Error).message}`, { exit: EXIT.failure });
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) this.error('--data must be a JSON object', { exit: EXIT.failure });
    const events = new EventsClient(await this.client());
    const res = await events.publish(this.args.type, {
      data: data as Record<string, unknown>,
      topic: f.topic,
      ...(f.publisher !== undefined ? { publisher: f.publisher } : {}),
      ...(f['correlation-id'] !== undefined ? { correlation_id: f['correlation-id'] } : {}),
      ...(f.ttl !== undefined ? { ttl_seconds: f.ttl } : {}),
    });
    const woke = res.subscriber_count === 0 ? 'no waiter' : `${res.subscriber_count} waiter(s): ${res.subscribers_notified.join(', ')}`;
    this.say(`Published ${res.event_id} (${this.args.type} on ${res.topic}, ttl ${res.ttl_seconds} s); woke ${woke}`);
    return res;
  }
}
