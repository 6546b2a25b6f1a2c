/**
 * The fixed strings methods append to a reasoning trace, each from its official code (see
 * docs/research/lynx_spec.md §3.1 and peers.md §1).
 */

/** LYNX's default exit cue (`utils.get_exit_cue("paper")`). */
export const LYNX_EXIT_CUE = '</think> Final Answer: \\boxed{';

/** LYNX's alternative exit cue (`get_exit_cue("answer_tag")`). */
export const LYNX_ANSWER_TAG_EXIT_CUE = '</think><answer> The final answer is \\boxed{';

/** DEER's answer-inducing suffix for trial answers (`answer_prompt_str` in vllm-deer.py). */
export const DEER_TRIAL_SUFFIX = '\n**Final Answer**\n\\boxed';

/** What DEER appends to close thinking before generating the final answer. */
export const DEER_EXIT_CUE = '\n</think>\n\n';

/** Dynasor-CoT's probe suffix (`dynasor/core/cot.py`). */
export const DYNASOR_PROBE_SUFFIX =
  '... Oh, I suddenly got the answer to the whole problem, **Final Answer**\n\n\\[ \\boxed{';

/** NoThinking's dummy thinking block (Ma et al., arXiv 2504.09858). */
export const NO_THINKING_TEXT = 'Okay, I think I have finished thinking.';

/** What closes NoThinking's dummy thinking block (the model answers after it). */
export const NO_THINKING_CLOSE = '\n</think>\n\n';

export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';

/** True when `text` leaves a think block open (its last `<think>` is not followed by `</think>`). */
export function opensThinking(text: string): boolean {
  const open = text.lastIndexOf(THINK_OPEN);
  return open >= 0 && text.indexOf(THINK_CLOSE, open) < 0;
}
