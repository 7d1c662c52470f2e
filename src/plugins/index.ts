export { AvatarAudioOutput } from './avatar_audio_output.ts';
export { AVATAR_STATS_ATTRIBUTE, LocalAvatarSession } from './local_avatar.ts';
export { createModels, describeModels, loadOfflineEngines, type OfflineEngines } from './models.ts';
export { STT_APOLOGY } from './offline_stt.ts';
export { createTurnDetection } from './turn_detection.ts';
