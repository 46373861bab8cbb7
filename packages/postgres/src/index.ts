export { pgQueue } from './queue.js';
export type { PgQueueOptions } from './queue.js';
export { publish, publishMany, publishTopic, publishTopicMany } from './publish.js';
export type { PublishOptions, PublishTopicOptions } from './publish.js';
export { migrate, schemaSql, SCHEMA_VERSION } from './schema.js';
export type { MigrateOptions } from './schema.js';
export { translate as translatePgError } from './errors.js';
export type { PgDelivery, PgTransport } from './delivery.js';
export type { CommonOptions } from './options.js';
export type { PgConnection, PgPool, PgPoolClient, PgQueryable, PgResult, PgNotification } from './connection.js';
export { pgTopic } from './topic.js';
export type { PgTopicOptions } from './topic.js';
export { resetSubscriber, pruneTopic, subscriberOffsets } from './admin.js';
export type { ResetOptions, ResetTarget, PruneOptions, SubscriberOffsets } from './admin.js';
export {
  createTopic,
  deleteTopic,
  listTopics,
  createSubscriber,
  deleteSubscriber,
  readSubscriber,
  commitSubscriber,
} from './topicAdmin.js';
export type { TopicAdminOptions, TopicInfo, TopicMessage } from './topicAdmin.js';
