/**
 * The journey's profile step (`npm start`) with WeChat's platform rules: the privacy popup (用户隐私保护指引) before
 * the avatar, the consent to 《用户协议》和《隐私政策》 before saving, the phone number bound with one billed call and
 * kept in full only server-side, and what a user who refuses the guideline sees.
 *
 * Runs inside the journey's process, on its DOM, `wx` forwarder and page loader, which it hands over in `tools`.
 */
import { createDevice, type DevCloud, type Device } from 'devcloud';

interface Page {
  data: Record<string, unknown>;
  querySelector(selector: string): Page | undefined;
  dispatchEvent(event: string, options?: { detail?: unknown }): void;
  dom?: { textContent?: string | null };
}

export interface JourneyTools {
  cloud: DevCloud;
  check(condition: boolean, what: string): void;
  openPage(device: Device, name: string): Promise<Page>;
  sleep(ms: number): Promise<void>;
}

const AGREE_BUTTON_ID = 'privacy-agree-btn'; // components/privacy-popup

/** Step 5: alice, who has not agreed to the guideline yet, sets her avatar and nickname and binds her phone. */
export async function profileWithPlatformRules(tools: JourneyTools, phone: Device): Promise<void> {
  const { cloud, check } = tools;
  const alice = cloud.user(phone.user);
  console.log('5. alice opens her profile and taps 换头像; she has not agreed to the 用户隐私保护指引 yet');
  const profile = await tools.openPage(phone, 'profile');
  const avatarTap = phone.chooseAvatar(); // pends until she answers the popup, as chooseAvatar does in WeChat
  const popup = await until(
    tools,
    () => popupOf(profile),
    (p) => p.data.visible === true,
  );
  console.log(`   popup: ${read(popup, '.privacy-body')}`);
  check(phone.privacy.exposures.includes('button.chooseAvatar'), 'the popup was shown and its exposure reported');
  popup
    .querySelector(`#${AGREE_BUTTON_ID}`)
    ?.dispatchEvent('agreeprivacyauthorization', { detail: phone.privacy.tapAgreeButton(AGREE_BUTTON_ID).detail });
  const chosen = await avatarTap;
  check(phone.privacy.agreed && 'avatarUrl' in chosen.detail, 'she agreed; chooseAvatar went on with her image');
  profile.querySelector('.avatar-btn')?.dispatchEvent('chooseavatar', { detail: chosen.detail });

  console.log('   she types 小艾 and taps 保存 before ticking 我已阅读并同意《用户协议》和《隐私政策》');
  await submit(tools, profile, '小艾');
  console.log(`   profile says: ${String(profile.data.errorMessage)}`);
  check((await usersDoc(cloud, alice.openid))?.nickName === undefined, 'nothing saved without the consent');
  console.log('   she ticks the box and taps 保存 again');
  profile.querySelector('.consent-group')?.dispatchEvent('change', { detail: { value: ['agree'] } });
  await submit(tools, profile, '小艾');
  console.log(`   profile says: ${String(profile.data.notice || profile.data.errorMessage)}`);
  const saved = await usersDoc(cloud, alice.openid);
  console.log(`   users document: consent ${JSON.stringify(saved?.consent)}`);
  check(
    (saved?.consent as { version?: number } | undefined)?.version === 1 && saved?.nickName === '小艾',
    'consent version 1 recorded with the time; nickname and avatar saved',
  );

  console.log('   she taps 绑定手机号 twice in quick succession');
  const first = await phone.getPhoneNumberEvent(true);
  const second = await phone.getPhoneNumberEvent(true);
  profile.querySelector('.phone-btn')?.dispatchEvent('getphonenumber', { detail: first.detail });
  profile.querySelector('.phone-btn')?.dispatchEvent('getphonenumber', { detail: second.detail });
  await until(
    tools,
    () => profile,
    (p) => p.data.phoneBinding === false && p.data.busy === false,
  );
  await tools.sleep(200); // a second bind, had one been sent, would have reached the cloud by now
  const exchanges = cloud
    .recordedCalls()
    .filter((call) => call.action === 'phonenumber.getPhoneNumber' && call.openid === alice.openid).length;
  const phones = (await cloud.documents('phones')).filter((doc) => doc._id === alice.openid);
  console.log(`   screen: ${read(profile, '.phone')}; phonenumber.getPhoneNumber calls: ${exchanges}`);
  console.log(
    `   users has ${String((await usersDoc(cloud, alice.openid))?.phoneMasked)}; phones (server-only) has it in full`,
  );
  check(exchanges === 1 && phones.length === 1, 'one bind, one phone-number call; the full number only in phones');

  console.log('   dave taps 换头像 and refuses the 用户隐私保护指引');
  const davePhone = createDevice({ devcloudUrl: cloud.url, user: 'dave', privacy: { agreed: false } });
  await tools.openPage(davePhone, 'login');
  const daveProfile = await tools.openPage(davePhone, 'profile');
  const refusedTap = davePhone.chooseAvatar();
  const davePopup = await until(
    tools,
    () => popupOf(daveProfile),
    (p) => p.data.visible === true,
  );
  davePopup.querySelector('#privacy-disagree-btn')?.dispatchEvent('tap');
  daveProfile.querySelector('.avatar-btn')?.dispatchEvent('chooseavatar', { detail: (await refusedTap).detail });
  await until(
    tools,
    () => daveProfile,
    (p) => p.data.privacyDenied === true,
  );
  console.log(`   screen: ${read(daveProfile, '.privacy-denied-text')}`);
  check(davePhone.calls.uploadFile === 0, 'nothing uploaded; avatar, nickname and phone are off until he agrees');
}

function popupOf(page: Page): Page | undefined {
  return page.querySelector('#privacy-popup');
}

function read(page: Page | undefined, selector: string): string {
  return page?.querySelector(selector)?.dom?.textContent?.trim() ?? '';
}

async function usersDoc(cloud: DevCloud, openid: string): Promise<Record<string, unknown> | undefined> {
  return (await cloud.documents('users')).find((doc) => doc._id === openid);
}

async function submit(tools: JourneyTools, page: Page, nickName: string): Promise<void> {
  page.querySelector('.nickname-form')?.dispatchEvent('submit', { detail: { value: { nickName } } });
  await until(
    tools,
    () => page,
    (p) => p.data.busy === false,
  );
}

/** Waits (bounded) until `find()` gives something that satisfies `done`. */
async function until(tools: JourneyTools, find: () => Page | undefined, done: (page: Page) => boolean): Promise<Page> {
  await tools.sleep(0);
  for (let waited = 0; waited < 20_000; waited += 20) {
    const page = find();
    if (page && done(page)) return page;
    await tools.sleep(20);
  }
  throw new Error('the page did not settle');
}
