/**
 * The only two Electron IPC channel names Quorum uses: every request goes
 * through `quorum:invoke` (channel and payload as arguments, validated by the
 * dispatcher), every event through `quorum:event`. Pure constants, shared by
 * the preload and the main process.
 */
export const IPC_INVOKE = 'quorum:invoke';
export const IPC_EVENT = 'quorum:event';
