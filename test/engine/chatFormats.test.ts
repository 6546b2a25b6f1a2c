import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import {
  detectChatFormat,
  formatChat,
  parseChatFormatOption,
  stripThinking,
} from '../../src/engine/chatFormats.ts';
import type { ChatMessage } from '../../src/engine/types.ts';
import { UserError } from '../../src/errors.ts';
import { CHATML_THINK_TEMPLATE } from '../../src/gguf/tokenizer.ts';

const chat: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: '<think>\nadd them\n</think>\n\nThe answer is 4.' },
  { role: 'user', content: 'And 3+3?' },
];

describe('formatChat', () => {
  it('deepseek-r1: BOS, bare system text, User/Assistant turns, old thoughts dropped, ends after <think>\\n', () => {
    expect(formatChat('deepseek-r1', chat)).toBe(
      '<｜begin▁of▁sentence｜>Be brief.<｜User｜>What is 2+2?' +
        '<｜Assistant｜>\n\nThe answer is 4.<｜end▁of▁sentence｜>' +
        '<｜User｜>And 3+3?<｜Assistant｜><think>\n',
    );
    expect(formatChat('deepseek-r1', [{ role: 'user', content: 'hi' }])).toBe(
      '<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜><think>\n',
    );
  });

  it('qwen3-thinking: ChatML, old thoughts and their leading newlines dropped, ends after <think>\\n', () => {
    expect(formatChat('qwen3-thinking', chat)).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n' +
        '<|im_start|>assistant\nThe answer is 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n' +
        '<|im_start|>assistant\n<think>\n',
    );
  });

  it('chatml-think equals the test models’ Jinja template rendered by an independent Jinja engine', () => {
    const template = new Template(CHATML_THINK_TEMPLATE);
    for (const messages of [chat, chat.slice(1, 2), chat.slice(0, 3)]) {
      expect(formatChat('chatml-think', messages)).toBe(
        template.render({ messages, add_generation_prompt: true }),
      );
    }
  });

  it('rejects an empty chat and unknown format names with UserError', () => {
    expect(() => formatChat('chatml-think', [])).toThrow(UserError);
    expect(() => parseChatFormatOption('llama2')).toThrow(/unknown chat format "llama2"/);
    expect(parseChatFormatOption('deepseek-r1')).toBe('deepseek-r1');
  });

  it('stripThinking keeps what follows the last </think>', () => {
    expect(stripThinking('a</think>b</think>c')).toBe('c');
    expect(stripThinking('no thoughts')).toBe('no thoughts');
  });
});

describe('detectChatFormat', () => {
  const none = () => false;
  it('reads the template first, then the special tokens', () => {
    expect(detectChatFormat("{{'<｜Assistant｜>'}}", none)).toBe('deepseek-r1');
    expect(detectChatFormat(CHATML_THINK_TEMPLATE, none)).toBe('chatml-think');
    expect(detectChatFormat('<|im_start|>{% if enable_thinking %}', none)).toBe('qwen3-thinking');
    expect(detectChatFormat(undefined, (t) => t === '<|im_start|>')).toBe('chatml-think');
    expect(detectChatFormat(undefined, (t) => t === '<｜Assistant｜>')).toBe('deepseek-r1');
    expect(detectChatFormat('[INST]', none)).toBeUndefined();
  });
});
