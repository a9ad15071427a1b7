/** What cloud.deleteFile resolves to (the SDK's typings also allow void, for its callback form). */
export interface DeleteFileReply {
  fileList: Array<{ fileID: string; status: number; errMsg?: string }>;
}
