/**
 * services/privacy's one listener on a simulated phone whose user has not agreed yet: WeChat keeps only the last
 * wx.onNeedPrivacyAuthorization registration and never drops it, so the listener hands each request to the popup
 * on screen, and answers at once when there is none.
 */
import { createDevice, type Device } from 'devcloud';
import type { PrivacyPrompt, PrivacyResolve } from '../../miniprogram/services/privacy';
import { launchServices } from '../support/services';

const undecided = (): Device =>
  createDevice({ devcloudUrl: 'http://127.0.0.1:9', user: 'privacy-listener', privacy: { agreed: false } });

/** A popup that records what it was asked and keeps the resolves for the test to answer. */
function popup(): PrivacyPrompt & { asked: string[]; answer(agree: boolean): void } {
  const waiting: PrivacyResolve[] = [];
  return {
    asked: [],
    ask(resolve, { referrer }) {
      this.asked.push(referrer ?? '');
      waiting.push(resolve);
    },
    answer(agree) {
      for (const resolve of waiting.splice(0))
        resolve(agree ? { event: 'agree', buttonId: 'privacy-agree-btn' } : { event: 'disagree' });
    },
  };
}

test('with no popup on screen a request is refused at once (errno 104), not left waiting', async () => {
  const device = undecided();
  const { privacy } = launchServices(device);
  privacy.listenForPrivacyRequests();
  expect(device.privacy.hasListener).toBe(true);
  await expect(device.chooseAvatar()).resolves.toEqual({
    detail: { errno: 104, errMsg: 'chooseAvatar:fail privacy permission is not authorized' },
  });
  expect(await privacy.requirePrivacyAuthorization()).toBe(false);
});

test('the newest popup on screen is asked; when it goes, the one under it is asked again', async () => {
  const device = undecided();
  const { privacy } = launchServices(device);
  const below = popup();
  const above = popup();
  privacy.showPrivacyPrompt(below);
  privacy.showPrivacyPrompt(above);

  const first = privacy.requirePrivacyAuthorization();
  expect(above.asked).toEqual(['requirePrivacyAuthorize']);
  expect(below.asked).toEqual([]);
  above.answer(false);
  expect(await first).toBe(false);

  privacy.hidePrivacyPrompt(above);
  const second = privacy.requirePrivacyAuthorization();
  expect(below.asked).toEqual(['requirePrivacyAuthorize']);
  device.privacy.tapAgreeButton('privacy-agree-btn');
  below.answer(true);
  expect(await second).toBe(true);
  expect(device.privacy.violations).toEqual([]);
});

test('a popup shown again (its page back on screen) is on top again', () => {
  const { privacy } = launchServices(undecided());
  const first = popup();
  const second = popup();
  privacy.showPrivacyPrompt(first);
  privacy.showPrivacyPrompt(second);
  privacy.showPrivacyPrompt(first);
  void privacy.requirePrivacyAuthorization();
  expect(first.asked).toHaveLength(1);
  expect(second.asked).toHaveLength(0);
  first.answer(false);
});

test("with PRIVACY_POPUP 'official' nothing is registered: WeChat's own popup asks", () => {
  const device = undecided();
  const { privacy } = launchServices(device, { PRIVACY_POPUP: 'official' });
  privacy.listenForPrivacyRequests();
  privacy.showPrivacyPrompt(popup());
  expect(device.privacy.hasListener).toBe(false);
  void privacy.requirePrivacyAuthorization();
  expect(device.privacy.officialPopup).toEqual({ referrer: 'requirePrivacyAuthorize' });
  device.privacy.answerOfficialPopup(false);
});

test('before base library 2.32.3 there is nothing to listen to, and nothing to ask', async () => {
  const device = createDevice({ devcloudUrl: 'http://127.0.0.1:9', user: 'old-phone', baseLibrary: '2.30.0' });
  const { privacy } = launchServices(device);
  expect(() => privacy.listenForPrivacyRequests()).not.toThrow();
  expect(await privacy.requirePrivacyAuthorization()).toBe(true);
  expect(await privacy.privacySetting()).toEqual({ needAuthorization: false, privacyContractName: '' });
});
