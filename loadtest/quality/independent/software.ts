import { DAY, HOUR } from './clock.ts';
import type { Host } from './fleet.ts';
import type { Rng } from '@repute/simulator';
import type { Web } from './web.ts';
import type { FileRef, World } from './world.ts';

/** One build of a binary, installed on a host `host.lag` after `from`. */
export interface Release {
  file: FileRef;
  from: number;
  /** Where an update was fetched from, when the updater says. */
  url?: string;
}

/** A popular application: its binary releases and, when users install it themselves, its installer. */
export interface Product {
  key: string;
  /** The installed-app key of the fleet that gates it (several Office programs share `office`). */
  app: string;
  releases: Release[];
  installer?: { file: FileRef; url: string };
}

export interface Software {
  /** System binaries by name, per OS build. */
  system: Record<Host['os'], Map<string, Release[]>>;
  products: Product[];
  /** The release of `releases` a host runs at `time`. */
  current(host: Host, releases: readonly Release[], time: number): Release;
  /** Which system binary starts which: the parent of each common process. */
  parentOf: Record<string, string>;
  /** System binaries in rough order of how often they start. */
  systemNames: string[];
}

const SYSTEM: [string, number, string][] = [
  ['svchost.exe', 57_000, 'services.exe'],
  ['RuntimeBroker.exe', 140_000, 'svchost.exe'],
  ['taskhostw.exe', 98_000, 'svchost.exe'],
  ['conhost.exe', 1_010_000, 'cmd.exe'],
  ['SearchProtocolHost.exe', 480_000, 'svchost.exe'],
  ['WmiPrvSE.exe', 520_000, 'svchost.exe'],
  ['cmd.exe', 323_000, 'explorer.exe'],
  ['powershell.exe', 455_000, 'explorer.exe'],
  ['msiexec.exe', 68_000, 'services.exe'],
  ['rundll32.exe', 71_000, 'explorer.exe'],
  ['schtasks.exe', 235_000, 'svchost.exe'],
  ['notepad.exe', 201_000, 'explorer.exe'],
  ['regsvr32.exe', 25_000, 'explorer.exe'],
  ['mshta.exe', 14_000, 'explorer.exe'],
  ['wscript.exe', 165_000, 'explorer.exe'],
  ['explorer.exe', 5_400_000, 'userinit.exe'],
  ['services.exe', 710_000, 'wininit.exe'],
  ['userinit.exe', 32_000, 'winlogon.exe'],
  ['wininit.exe', 460_000, 'smss.exe'],
  ['winlogon.exe', 910_000, 'smss.exe'],
  ['smss.exe', 160_000, 'smss.exe'],
];
// Frequent processes first: the background draws from this list with a Zipf law.
const SYSTEM_BY_FREQUENCY = ['svchost.exe', 'RuntimeBroker.exe', 'conhost.exe', 'taskhostw.exe', 'SearchProtocolHost.exe', 'WmiPrvSE.exe', 'cmd.exe', 'powershell.exe', 'msiexec.exe', 'schtasks.exe', 'rundll32.exe', 'notepad.exe', 'explorer.exe', 'wscript.exe', 'regsvr32.exe', 'mshta.exe'];
// Patched on the monthly update day.
const PATCHED = ['svchost.exe', 'RuntimeBroker.exe', 'explorer.exe', 'msiexec.exe', 'rundll32.exe', 'WmiPrvSE.exe'];

interface AppSpec {
  key: string;
  app: string;
  exe: string;
  signer?: string;
  size: number;
  /** Vendor download host and installer path; absent for software no user installs by hand. */
  download?: [string, string, string];
  /** Updated during the week, and where the updater fetches from (`{v}` is a fresh token). */
  update?: [string, string];
}

const APPS: AppSpec[] = [
  { key: 'chrome', app: 'chrome', exe: 'chrome.exe', signer: 'Google LLC', size: 2_900_000, download: ['dl.google.com', '/chrome/install/ChromeStandaloneSetup64.exe', 'ChromeStandaloneSetup64.exe'], update: ['dl.google.com', '/release2/chrome/{v}/126.0.6478.{n}_chrome_installer.exe'] },
  { key: 'edge', app: 'edge', exe: 'msedge.exe', signer: 'Microsoft Corporation', size: 3_800_000, update: ['msedge.sf.dl.delivery.mp.microsoft.com', '/filestreamingservice/files/{v}/MicrosoftEdge_X64_126.0.2592.{n}.exe'] },
  { key: 'firefox', app: 'firefox', exe: 'firefox.exe', signer: 'Mozilla Corporation', size: 680_000, download: ['download.mozilla.org', '/?product=firefox-latest-ssl&os=win64&lang=en-US', 'Firefox Setup 127.0.2.exe'], update: ['download.mozilla.org', '/?product=firefox-127.0.{n}-partial&os=win64&lang=en-US&v={v}'] },
  { key: 'teams', app: 'teams', exe: 'ms-teams.exe', signer: 'Microsoft Corporation', size: 1_200_000, update: ['statics.teams.cdn.office.net', '/production-windows-x64/24152.405.{n}/MSTeams-x64.msix?v={v}'] },
  { key: 'zoom', app: 'zoom', exe: 'Zoom.exe', signer: 'Zoom Video Communications, Inc.', size: 420_000, download: ['zoom.us', '/client/latest/ZoomInstallerFull.exe', 'ZoomInstallerFull.exe'], update: ['zoom.us', '/client/6.1.{n}/ZoomInstallerFull.exe?archType=x64&v={v}'] },
  { key: 'slack', app: 'slack', exe: 'slack.exe', signer: 'Slack Technologies, LLC', size: 150_000_000, download: ['downloads.slack-edge.com', '/desktop-releases/windows/x64/4.39.95/SlackSetup.exe', 'SlackSetup.exe'] },
  { key: 'acrobat', app: 'acrobat', exe: 'AcroRd32.exe', signer: 'Adobe Inc.', size: 3_100_000, download: ['ardownload2.adobe.com', '/pub/adobe/acrobat/win/AcrobatDC/2400220857/AcroRdrDCx642400220857_MUI.exe', 'AcroRdrDCx642400220857_MUI.exe'] },
  { key: 'word', app: 'office', exe: 'WINWORD.EXE', signer: 'Microsoft Corporation', size: 2_100_000 },
  { key: 'excel', app: 'office', exe: 'EXCEL.EXE', signer: 'Microsoft Corporation', size: 66_000_000 },
  { key: 'outlook', app: 'office', exe: 'OUTLOOK.EXE', signer: 'Microsoft Corporation', size: 42_000_000 },
  { key: 'onedrive', app: 'office', exe: 'OneDrive.exe', signer: 'Microsoft Corporation', size: 3_500_000 },
  { key: 'vscode', app: 'vscode', exe: 'Code.exe', signer: 'Microsoft Corporation', size: 160_000_000, download: ['update.code.visualstudio.com', '/latest/win32-x64-user/stable', 'VSCodeUserSetup-x64-1.90.2.exe'] },
  { key: 'notepadpp', app: 'notepadpp', exe: 'notepad++.exe', signer: 'Notepad++', size: 6_200_000, download: ['github.com', '/notepad-plus-plus/notepad-plus-plus/releases/download/v8.6.8/npp.8.6.8.Installer.x64.exe', 'npp.8.6.8.Installer.x64.exe'] },
  // 7-Zip ships unsigned: popular, old, and without a signature.
  { key: '7zip', app: '7zip', exe: '7zFM.exe', size: 960_000, download: ['www.7-zip.org', '/a/7z2407-x64.exe', '7z2407-x64.exe'] },
  { key: 'vlc', app: 'vlc', exe: 'vlc.exe', signer: 'VideoLAN', size: 990_000, download: ['get.videolan.org', '/vlc/3.0.21/win64/vlc-3.0.21-win64.exe', 'vlc-3.0.21-win64.exe'] },
  { key: 'python', app: 'python', exe: 'python.exe', signer: 'Python Software Foundation', size: 103_000, download: ['www.python.org', '/ftp/python/3.12.4/python-3.12.4-amd64.exe', 'python-3.12.4-amd64.exe'] },
  { key: 'putty', app: 'putty', exe: 'putty.exe', signer: 'Simon Tatham', size: 1_700_000, download: ['the.earth.li', '/~sgtatham/putty/latest/w64/putty-64bit-0.81-installer.msi', 'putty-64bit-0.81-installer.msi'] },
  { key: 'winscp', app: 'winscp', exe: 'WinSCP.exe', signer: 'Martin Prikryl', size: 26_000_000, download: ['winscp.net', '/download/WinSCP-6.3.3-Setup.exe', 'WinSCP-6.3.3-Setup.exe'] },
  { key: 'keepass', app: 'keepass', exe: 'KeePass.exe', signer: 'Dominik Reichl', size: 3_300_000, download: ['keepass.info', '/download/KeePass-2.57-Setup.exe', 'KeePass-2.57-Setup.exe'] },
  // Remote support tool: popular with help desks, and with intruders who want a foothold.
  { key: 'anydesk', app: 'anydesk', exe: 'AnyDesk.exe', signer: 'philandro Software GmbH', size: 5_200_000, download: ['download.anydesk.com', '/AnyDesk.exe', 'AnyDesk.exe'] },
];

export function createSoftware(world: World, web: Web): Software {
  const { rng, ledger, clock } = world;
  const file = (name: string, size: number, role: string, signer?: string): FileRef => {
    const ref: FileRef = { sha256: rng.hex(32), name, size: Math.max(1, Math.round(size * (0.97 + 0.06 * rng.float()))) };
    if (signer !== undefined) ref.signer = signer;
    ledger.benign('file', ref.sha256, { role });
    return ref;
  };
  const span = clock.end - clock.start;
  // The monthly patch day lands inside the week when the week is long enough.
  const patchDay = clock.start + Math.round(Math.min(span * 0.3, 2 * DAY)) + 18 * HOUR;

  const system = { win10: new Map<string, Release[]>(), win11: new Map<string, Release[]>() };
  for (const os of ['win10', 'win11'] as const) {
    for (const [name, size] of SYSTEM) {
      const releases: Release[] = [{ file: file(name, size, 'system-software', 'Microsoft Windows'), from: 0 }];
      if (PATCHED.includes(name)) releases.push({ file: file(name, size, 'system-software', 'Microsoft Windows'), from: patchDay });
      system[os].set(name, releases);
    }
  }

  const products = APPS.map((spec) => {
    const releases: Release[] = [{ file: file(spec.exe, spec.size, 'popular-software', spec.signer), from: 0 }];
    if (spec.update !== undefined && rng.chance(0.8)) {
      const [domain, pattern] = spec.update;
      const path = pattern.replace('{v}', tokenFor(rng)).replace('{n}', String(rng.int(50, 199)));
      const url = web.vendor(domain, [path]).pages.find((p) => p.endsWith(path))!;
      releases.push({ file: file(spec.exe, spec.size, 'popular-software', spec.signer), from: clock.start + Math.round(span * (0.15 + 0.5 * rng.float())), url });
    }
    const product: Product = { key: spec.key, app: spec.app, releases };
    if (spec.download !== undefined) {
      const [domain, path, name] = spec.download;
      const site = web.vendor(domain, [path]);
      product.installer = { file: file(name, spec.size * 1.6 + 40_000_000 * rng.float(), 'popular-software', spec.signer), url: site.pages.find((p) => p.endsWith(path))! };
    }
    return product;
  });

  return {
    system,
    products,
    current(host, releases, time) {
      let pick = releases[0]!;
      for (const r of releases) if (r.from === 0 || r.from + host.lag <= time) pick = r;
      return pick;
    },
    parentOf: Object.fromEntries(SYSTEM.map(([name, , parent]) => [name, parent])),
    systemNames: SYSTEM_BY_FREQUENCY,
  };
}

function tokenFor(rng: Rng): string {
  return `${rng.hex(4)}-${rng.hex(2)}-${rng.hex(2)}-${rng.hex(2)}-${rng.hex(6)}`;
}
