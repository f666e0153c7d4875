import document from '../../openapi.json';

// The checked-in copy of the server's document; the end-to-end tests check that it
// equals what the server serves, and `npm run api:check` that schema.d.ts is generated from it.
const doc = document as unknown as {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, { required?: string[]; enum?: string[] }> };
};

/** Every call the services make, as [method, path template]. */
const CALLS: [string, string][] = [
  ['get', '/api/tasks'],
  ['post', '/api/tasks'],
  ['post', '/api/tasks/batch'],
  ['get', '/api/tasks/{id}'],
  ['delete', '/api/tasks/{id}'],
  ['post', '/api/tasks/{id}/retry'],
  ['get', '/api/tasks/{id}/events'],
  ['post', '/api/tasks/bulk/retry'],
  ['post', '/api/tasks/bulk/delete'],
  ['post', '/api/clear'],
  ['get', '/api/counts'],
  ['get', '/api/queues'],
  ['post', '/api/queues/{name}/pause'],
  ['post', '/api/queues/{name}/resume'],
  ['get', '/api/types'],
  ['get', '/api/events'],
  ['get', '/api/cron'],
  ['post', '/api/cron/{name}/enable'],
  ['post', '/api/cron/{name}/disable'],
  ['get', '/api/retention'],
];

describe('the OpenAPI document', () => {
  it.each(CALLS)('has %s %s', (method, path) => {
    expect(doc.paths[path]?.[method]).toBeDefined();
  });

  it('lists the four statuses the dashboard colours', () => {
    expect(doc.components.schemas.TaskStatus?.enum).toEqual(['QUEUED', 'INPROGRESS', 'COMPLETED', 'FAILED']);
  });

  it('requires the task fields the list shows', () => {
    expect(doc.components.schemas.Task?.required).toEqual(
      expect.arrayContaining(['id', 'type', 'payload', 'queue', 'status', 'attempts', 'max_retries', 'created_at']),
    );
  });
});
