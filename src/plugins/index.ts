export { createOpenAIModels, type VoiceModels } from './openai_models.ts';
export { createTurnDetection } from './turn_detection.ts';
