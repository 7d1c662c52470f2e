// The offline LLM plugin: chat context in, spoken reply out, with the real default model; and a
// stand-in engine that fails, for what the plugin does then.
import { initializeLogger, llm } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ChatMessage, ChatModel } from '../src/offline/chat_model.ts';
import { DEFAULT_LLM_MODEL_PATH } from '../src/offline/model_files.ts';
import {
  type ChatEngine,
  LLM_APOLOGY,
  MAX_HISTORY_MESSAGES,
  OfflineLLM,
  toMessages,
} from '../src/plugins/offline_llm.ts';

let model: ChatModel;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'fatal' });
  model = await ChatModel.load(DEFAULT_LLM_MODEL_PATH);
});
afterAll(async () => {
  await model?.close();
});

function chatOf(...turns: [llm.ChatRole, string][]): llm.ChatContext {
  const ctx = llm.ChatContext.empty();
  for (const [role, content] of turns) ctx.addMessage({ role, content });
  return ctx;
}

async function replyText(stream: llm.LLMStream): Promise<{ text: string; chunks: number }> {
  let text = '';
  let chunks = 0;
  for await (const chunk of stream) {
    text += chunk.delta?.content ?? '';
    chunks++;
  }
  return { text, chunks };
}

describe('offline LLM chat context', () => {
  test('system and developer messages lead; old turns are dropped in blocks once the history is long', () => {
    const turns = Array.from({ length: MAX_HISTORY_MESSAGES + 3 }, (_, i): [llm.ChatRole, string] => [
      i % 2 ? 'assistant' : 'user',
      `turn ${i}`,
    ]);
    const messages = toMessages(chatOf(['system', 'Be brief.'], ['developer', 'Be kind.'], ...turns));
    expect(messages.slice(0, 2)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'system', content: 'Be kind.' },
    ]);
    const kept = messages.slice(2);
    expect(kept.length).toBeLessThanOrEqual(MAX_HISTORY_MESSAGES);
    expect(kept.at(-1)?.content).toBe(`turn ${MAX_HISTORY_MESSAGES + 2}`);
    // One more turn drops nothing more: the prompt's start (and llama.cpp's cache of it) stays.
    const longer = toMessages(chatOf(...turns, ['user', 'one more']));
    expect(longer[0]).toEqual(kept[0]);
  });

  test('empty messages are left out', () => {
    expect(toMessages(chatOf(['user', '  '], ['user', 'hi']))).toEqual([{ role: 'user', content: 'hi' }]);
  });
});

describe('offline LLM with the default model', () => {
  test('streams a short spoken reply', async () => {
    const stream = new OfflineLLM(model).chat({
      chatCtx: chatOf(['system', 'You are a helpful assistant.'], ['user', 'Say hello to me.']),
    });
    const { text, chunks } = await replyText(stream);
    expect(text.trim().length).toBeGreaterThan(0);
    expect(chunks).toBeGreaterThan(1);
  });

  test('stops generating when the stream is closed', async () => {
    const ask = chatOf(['user', 'Tell me a very long story about a dragon and a knight.']);
    const messages: ChatMessage[] = toMessages(ask);
    const controller = new AbortController();
    let chunks = 0;
    for await (const _ of model.reply(messages, controller.signal)) {
      if (++chunks === 3) controller.abort();
    }
    // A token or two may be in flight when the abort lands; the reply's 80-token budget is not used up.
    expect(chunks).toBeLessThan(8);
  });
});

describe('offline LLM when its engine fails', () => {
  test('the reply so far is followed by a short apology, and the next turn works', async () => {
    let turns = 0;
    // A stand-in engine: the real addon's failures cannot be provoked on demand.
    const failingOnce: ChatEngine = {
      path: 'stand-in',
      async *reply() {
        yield 'Let me think';
        if (turns++ === 0) throw new Error('llama_decode failed');
        yield 'Fine.';
      },
    };
    const plugin = new OfflineLLM(failingOnce);
    expect((await replyText(plugin.chat({ chatCtx: chatOf(['user', 'hi']) }))).text).toBe(
      `Let me think ${LLM_APOLOGY}`,
    );
    expect((await replyText(plugin.chat({ chatCtx: chatOf(['user', 'hi']) }))).text).toBe('Let me thinkFine.');
  });
});
