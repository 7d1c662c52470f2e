export { AvatarAudioOutput } from './avatar_audio_output.ts';
export { AVATAR_STATS_ATTRIBUTE, LocalAvatarSession } from './local_avatar.ts';
export { createOpenAIModels, type VoiceModels } from './openai_models.ts';
export { createTurnDetection } from './turn_detection.ts';
