// Types of build/gen-tray-icons.mjs (a plain Node script), for the test that checks its output.
export declare const TRAY_ICON_COLOURS: Readonly<Record<'running' | 'stopped' | 'error' | 'locked', [number, number, number]>>;
export declare function crc32(buf: Uint8Array): number;
export declare function encodePng(size: number, rgba: Buffer): Buffer;
export declare function renderIcon(size: number, colour: readonly [number, number, number]): Buffer;
export declare function trayIconFiles(): Record<string, Buffer>;
