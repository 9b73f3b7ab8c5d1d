// Storage: S3-compatible object storage for the video segments (else they stay on this server).
import { card, objectSetting, serverConfig } from '../forms.js';

export async function render(root) {
  const c = await serverConfig();
  root.append(card('S3-compatible storage', objectSetting({
    name: 's3', value: c.s3,
    help: 'When enabled, segments and playlists are uploaded to the bucket and viewers fetch them from there.',
    fields: [
      { key: 'enabled', label: 'Enabled', type: 'checkbox' },
      { key: 'endpoint', label: 'Endpoint', type: 'url', placeholder: 'https://s3.example.com' },
      { key: 'accessKey', label: 'Access key' },
      { key: 'secret', label: 'Secret', type: 'password' },
      { key: 'bucket', label: 'Bucket' },
      { key: 'region', label: 'Region' },
      { key: 'acl', label: 'ACL', placeholder: 'public-read' },
      { key: 'pathPrefix', label: 'Path prefix' },
      { key: 'servingEndpoint', label: 'Serving endpoint (CDN)', type: 'url' },
      { key: 'forcePathStyle', label: 'Path-style addressing', type: 'checkbox' },
    ],
  })));
}
