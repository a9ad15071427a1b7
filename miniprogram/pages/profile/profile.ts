import type { ErrorCode, UserProfile } from '../../../contracts';
import { deleteAccount, logout, saveProfile, bindPhone, type PhoneNumberDetail } from '../../services/account';
import { ensureLogin } from '../../services/auth';
import { ClientError } from '../../services/cloud';
import { messageFor } from '../../services/messages';

type Status = 'loading' | 'ready' | 'loggedOut' | 'deleted' | 'error';

function codeOf(error: unknown): ErrorCode {
  return error instanceof ClientError ? error.code : 'INTERNAL';
}

/** The profile page: avatar, nickname, phone number, logout and 注销. All logic lives in services/account. */
Component({
  data: {
    status: 'loading' as Status,
    busy: false,
    avatarUrl: '',
    /** A chosen but not yet saved avatar (temporary path from chooseAvatar). */
    pendingAvatar: '',
    nickName: '',
    phoneMasked: '',
    notice: '',
    errorCode: '' as ErrorCode | '',
    errorMessage: '',
  },
  methods: {
    onLoad() {
      void this.load();
    },
    onRetry() {
      this.setData({ status: 'loading', errorCode: '', errorMessage: '' });
      void this.load();
    },
    async load() {
      try {
        const { user } = await ensureLogin();
        this.show(user);
      } catch (error) {
        this.fail(error, 'error');
      }
    },
    onChooseAvatar(event: { detail: { avatarUrl: string } }) {
      this.setData({ pendingAvatar: event.detail.avatarUrl, avatarUrl: event.detail.avatarUrl, notice: '' });
    },
    async onSubmit(event: { detail: { value: { nickName?: string } } }) {
      const nickName = event.detail.value.nickName ?? '';
      await this.run(async () => {
        const changes: { nickName?: string; avatarTempPath?: string } = {};
        // An empty field with no nickname yet means "no nickname change" (e.g. saving only a new avatar).
        const typed = nickName.trim();
        if (typed !== this.data.nickName && (typed !== '' || this.data.nickName !== '')) changes.nickName = nickName;
        if (this.data.pendingAvatar) changes.avatarTempPath = this.data.pendingAvatar;
        if (changes.nickName === undefined && !changes.avatarTempPath) return '资料未修改';
        this.show(await saveProfile(changes));
        return '已保存';
      });
    },
    async onGetPhoneNumber(event: { detail: PhoneNumberDetail }) {
      await this.run(async () => {
        this.show(await bindPhone(event.detail));
        return '手机号已绑定';
      });
    },
    async onLogout() {
      await this.run(async () => {
        await logout();
        this.setData({ status: 'loggedOut' });
        return '已退出登录';
      });
    },
    async onDeleteAccount() {
      const { confirm } = await wx.showModal({
        title: '注销账号',
        content: '注销后将删除你的头像、昵称、手机号等全部资料，且无法恢复。确定注销吗？',
        confirmText: '注销',
        confirmColor: '#d93026',
      });
      if (!confirm) return;
      await this.run(async () => {
        await deleteAccount();
        this.setData({ status: 'deleted' });
        return '账号已注销';
      });
    },
    /** One user action at a time; its outcome becomes the notice or the error message. */
    async run(action: () => Promise<string>) {
      if (this.data.busy) return;
      this.setData({ busy: true, notice: '', errorCode: '', errorMessage: '' });
      try {
        const notice = await action();
        this.setData({ busy: false, notice });
      } catch (error) {
        this.setData({ busy: false });
        this.fail(error);
      }
    },
    show(user: UserProfile) {
      this.setData({
        status: 'ready',
        avatarUrl: user.avatarUrl ?? '',
        pendingAvatar: '',
        nickName: user.nickName ?? '',
        phoneMasked: user.phoneMasked ?? '',
      });
    },
    fail(error: unknown, status?: Status) {
      const code = codeOf(error);
      this.setData({ errorCode: code, errorMessage: messageFor(code), ...(status ? { status } : {}) });
    },
  },
});
