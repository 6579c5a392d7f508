/* io/jsonl.h — builds the run's Task from the Config: the built-in arithmetic task, or a prompt
   list read from users' JSONL files, one JSON object per line: task.prompts_file (required),
   task.eval_file:  {"prompt": "...", "answer": "..."}  (answer optional, ground truth used only to
   measure) task.sft_file:  {"prompt": "...", "response": "..."}  (instruction example) or with
       "verdict": true|false  (evaluation example: judge prompt of (prompt, response) -> Y/N)
   With task.prompt_template other than "{prompt}", every "prompt" is replaced by the template
   filled with it as soon as it is read: all checks, the task, the judge prompt's {prompt} and
   the files see that text, the text the model sees. Any line may carry "level": an integer in 1..TASK_MAX_LEVELS (difficulty; with
   task.levels.schedule round r draws its prompts from lines of level schedule[r]). Other keys are
   ignored; blank lines are skipped. Everything is validated before the Task is
   returned, so a run stops before training, never halfway: each bad line is reported as
   "file:line: what is wrong" (invalid JSON, not an object, missing or mistyped field, a character
   outside the tokenizer's charset with its column, a sequence longer than model.max_seq_len, a
   duplicated or held-out prompt); a file without usable lines is an error too. So is a text the
   model must generate that generate.max_new_tokens would cut: an "answer" or an instruction line's
   "response" with its EOS, or (task.judge_rationale) a "rationale" with its verdict, longer than
   max_new_tokens tokens (one token per character); the longest one is named with the value needed.
   With tokenizer.charset "auto" the charset is every character of the data, of the judge template
   and 'Y', 'N', in byte order; the caller stores it (checkpoint /tokenizer). To validate against a
   checkpoint's charset instead, pass a Config copy whose tokenizer.charset is that charset.
   Prompts that also appear in the SFT file are never drawn into EVAL; an SFT prompt found in the
   eval file is an error. */
#ifndef CONCORD_IO_JSONL_H
#define CONCORD_IO_JSONL_H

#include "io/config.h"
#include "train/task.h"
#include "util/err.h"

/* The TaskSpec of a config (run.seed, task.*, sft.*, rounds.count). */
void jsonl_task_spec(const Config *cfg, TaskSpec *out);

/* Builds t for cfg (task.name "arith" or "jsonl") and writes the charset to use into charset
   (cfg's, or the one built for "auto"). On error returns -1 with one sentence in e and t freed.
   Also an error: sft.steps > 0 with no SFT example. Caller task_free()s t. */
int jsonl_task_load(Task *t, const Config *cfg, char charset[TOKENIZER_MAX_CHARS + 1],
                    ErrMsg *e) WARN_UNUSED_RESULT;

/* The same for tokenizer.kind "bpe" (task.name "jsonl"): every byte has a token, so only lengths
   are checked, counted in tok's tokens after encoding (a line that does not fit names its file,
   line and field). */
int jsonl_task_load_bpe(Task *t, const Config *cfg, const Tokenizer *tok,
                        ErrMsg *e) WARN_UNUSED_RESULT;

#endif
