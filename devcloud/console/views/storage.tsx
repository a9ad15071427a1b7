/** The stored files: a preview of each image, its path, size, owner and upload time. */
import { api } from '../api';
import { DataTable, ErrorMessage, formatBytes, Loading, shortId, Time, useResource, ViewHeading } from '../ui';
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
      ) : (
        <DataTable
          caption="Stored files"
          class="files"
          rows={files.data}
          rowKey={(file) => file.fileID}
          rowProps={(file) => ({ class: 'file', 'data-path': file.cloudPath })}
          empty="No files yet."
          columns={[
            {
              header: 'Preview',
              cell: (file) =>
                file.imageType ? (
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
                ),
            },
            {
              header: 'Path',
              cell: (file) => (
                <>
                  <span class="mono path">{file.cloudPath}</span>
                  <br />
                  <span class="subtle mono" title={file.fileID}>
                    {shortId(file.fileID, 48)}
                  </span>
                </>
              ),
            },
            { header: 'Size', class: 'size', cell: (file) => formatBytes(file.size) },
            {
              header: 'Owner',
              class: 'owner',
              cell: (file) =>
                file.ownerOpenid ? (
                  <>
                    {file.ownerUser ?? 'unknown user'}
                    <br />
                    <span class="subtle mono">{file.ownerOpenid}</span>
                  </>
                ) : (
                  <span class="muted">a function (no owner)</span>
                ),
            },
            { header: 'Uploaded', cell: (file) => <Time iso={file.uploadedAt} /> },
          ]}
        />
      )}
    </section>
  );
}
