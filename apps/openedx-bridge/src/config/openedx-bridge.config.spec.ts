import { loadOpenEdxBridgeConfig } from './openedx-bridge.config';

describe('loadOpenEdxBridgeConfig', () => {
  it('is off unless enabled, with defaults that run on one machine', () => {
    const c = loadOpenEdxBridgeConfig({});
    expect(c.enabled).toBe(false);
    expect(c.groupId).toBe('openedx-bridge.main');
    expect(c.attemptEventsTopic).toBe('proctoring.attempt.events.v1');
    expect(c.openEdxTopic).toBe('learning-exam-attempt-lifecycle');
    expect(c.serviceName).toBe('proctoring-attempts');
    expect(c.schema).toBe('openedx_bridge');
    expect(c.resetRequestingUser).toBeNull();
    expect(c.trustedSources).toEqual(['urn:proctoring:attempt-service']);
    expect(c.httpPort).toBe(3002);
  });

  it('takes the topic (with event-bus-kafka prefix), registry and its credentials, and the reset requester from the environment', () => {
    const c = loadOpenEdxBridgeConfig({
      OPENEDX_BRIDGE_ENABLED: 'true',
      OPENEDX_EVENT_BUS_TOPIC_PREFIX: 'prod',
      OPENEDX_SCHEMA_REGISTRY_URL: 'https://registry.example.com/',
      OPENEDX_SCHEMA_REGISTRY_API_KEY: 'key',
      OPENEDX_SCHEMA_REGISTRY_API_SECRET: 'secret',
      OPENEDX_RESET_REQUESTING_USER_ID: '42',
      OPENEDX_RESET_REQUESTING_USER_USERNAME: 'proctoring_service',
      OPENEDX_RESET_REQUESTING_USER_EMAIL: 'proctoring@example.com',
    });
    expect(c.openEdxTopic).toBe('prod-learning-exam-attempt-lifecycle');
    expect(c.registry).toEqual({
      url: 'https://registry.example.com',
      auth: { username: 'key', password: 'secret' },
    });
    expect(c.resetRequestingUser).toEqual({
      id: 42,
      is_active: true,
      pii: { username: 'proctoring_service', email: 'proctoring@example.com', name: '' },
    });
  });

  it('names every bad variable, never its value', () => {
    let message = '';
    try {
      loadOpenEdxBridgeConfig({
        OPENEDX_BRIDGE_ENABLED: 'true',
        OPENEDX_SCHEMA_REGISTRY_API_KEY: 'sekrit-key',
        OPENEDX_RESET_REQUESTING_USER_ID: 'staff',
        OPENEDX_RESET_REQUESTING_USER_USERNAME: 'u',
        OPENEDX_RESET_REQUESTING_USER_EMAIL: 'u@example.com',
        OPENEDX_BRIDGE_SCHEMA: 'Bridge"; DROP',
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('OPENEDX_SCHEMA_REGISTRY_URL is required');
    expect(message).toContain(
      'OPENEDX_SCHEMA_REGISTRY_API_KEY and OPENEDX_SCHEMA_REGISTRY_API_SECRET go together',
    );
    expect(message).toContain('OPENEDX_RESET_REQUESTING_USER_ID must be an LMS user id');
    expect(message).toContain('OPENEDX_BRIDGE_SCHEMA must be');
    expect(message).not.toContain('sekrit');
  });
});
