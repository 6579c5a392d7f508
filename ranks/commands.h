/* ranks/commands.h — the subcommands of the concord executable. Each takes the arguments after
   its name and returns the process exit status (0 ok, 2 bad input, 1 failure). They run after
   MPI_Init (ranks/main.c); tools that need one process use MPI_COMM_SELF. */
#ifndef CONCORD_RANKS_COMMANDS_H
#define CONCORD_RANKS_COMMANDS_H

int cmd_run(int argc, char **argv);          // SFT warm-up then self-rewarding rounds
int cmd_sft(int argc, char **argv);          // SFT warm-up only
int cmd_eval(int argc, char **argv);         // evaluate a checkpoint (one JSON line)
int cmd_config(int argc, char **argv);       // print the default or a resolved config
int cmd_plot(int argc, char **argv);         // PNG charts of a run's metrics.jsonl
int cmd_sample(int argc, char **argv);       // sample from a checkpoint
int cmd_inspect(int argc, char **argv);      // summarise a checkpoint or round file
int cmd_import_llmc(int argc, char **argv);  // llm.c GPT-2 checkpoint -> concord checkpoint
int cmd_tokenize(int argc, char **argv);     // BPE ids of a text, or the text of ids
int cmd_import_hf(int argc, char **argv);    // Hugging Face GPT-2 dir -> concord checkpoint
int cmd_export_hf(int argc, char **argv);    // concord checkpoint -> Hugging Face GPT-2 dir

#endif
