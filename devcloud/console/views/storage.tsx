/** The stored files: a preview of each image, its path, size, owner and upload time. */
import { api } from '../api';
import { ErrorMessage, formatBytes, Loading, shortId, Time, useResource, ViewHeading } from '../ui';
import type { FileView } from '../../protocol';

export function StorageView({ version }: { version: number }) {
  const files = useResource(() => api.get<FileView[]>('/storage/files'), version);
  return (
    <section aria-labelledby="view-title">
      <ViewHeading>Storage</ViewHeading>
      <p class="lead">
        Every stored file. The owner is the user whose phone uploaded it (<code>wx.cloud.uploadFile</code>); under
        CloudBase's default rule only they may overwrite or delete it. Files a function wrote have no owner.
      </p>
      <ErrorMessage error={files.error} />
      {!files.data ? (
        <Loading what="files" />
      ) : files.data.length === 0 ? (
        <p class="empty">No files yet.</p>
      ) : (
        <table class="files">
          <caption class="visually-hidden">Stored files</caption>
          <thead>
            <tr>
              <th scope="col">Preview</th>
              <th scope="col">Path</th>
              <th scope="col">Size</th>
              <th scope="col">Owner</th>
              <th scope="col">Uploaded</th>
            </tr>
          </thead>
          <tbody>
            {files.data.map((file) => (
              <tr key={file.fileID} class="file" data-path={file.cloudPath}>
                <td>
                  {file.imageType ? (
                    <img
                      class="preview"
                      src={`/devcloud/storage/preview?fileID=${encodeURIComponent(file.fileID)}`}
                      alt={`Preview of ${file.cloudPath}`}
                      width={64}
                      height={64}
                      loading="lazy"
                    />
                  ) : (
                    <span class="muted">no preview</span>
                  )}
                </td>
                <td>
                  <span class="mono path">{file.cloudPath}</span>
                  <br />
                  <span class="subtle mono" title={file.fileID}>
                    {shortId(file.fileID, 48)}
                  </span>
                </td>
                <td class="size">{formatBytes(file.size)}</td>
                <td class="owner">
                  {file.ownerOpenid ? (
                    <>
                      {file.ownerUser ?? 'unknown user'}
                      <br />
                      <span class="subtle mono">{file.ownerOpenid}</span>
                    </>
                  ) : (
                    <span class="muted">a function (no owner)</span>
                  )}
                </td>
                <td>
                  <Time iso={file.uploadedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
