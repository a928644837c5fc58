import type { AnalyticsStore } from './analytics-store';
import type { ChannelStore } from './channel-store';
import type { ChatMessageStore } from './chat-message-store';
import type { ChatModerationStore } from './chat-moderation-store';
import type { LikeStore } from './like-store';
import type { ModeratorTokenStore } from './moderator-token-store';
import type { RecordingStore } from './recording-store';
import type { ShareStore } from './share-store';
import type { TranscodeProfileStore } from './transcode-profile-store';
import type { WebhookAttemptStore } from './webhook-attempt-store';

/** Every store liveroom keeps, from one backend; the composition root builds it and hands each module its part. */
export interface Stores {
  channels: ChannelStore;
  messages: ChatMessageStore;
  moderation: ChatModerationStore;
  moderatorTokens: ModeratorTokenStore;
  likes: LikeStore;
  profiles: TranscodeProfileStore;
  recordings: RecordingStore;
  shares: ShareStore;
  webhookAttempts: WebhookAttemptStore;
  analytics: AnalyticsStore;
  /** Releases the backend (closes the database). */
  close(): Promise<void>;
}

/** What the chat server needs. */
export type ChatStores = Pick<Stores, 'messages' | 'moderation' | 'likes'>;
