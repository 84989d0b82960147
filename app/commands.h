// One function per subcommand; argv[0] is the subcommand name.
#pragma once

namespace dnassm::app {
int cmd_embed(int argc, char** argv);
int cmd_predict(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_pretrain(int argc, char** argv);
int cmd_finetune(int argc, char** argv);
int cmd_score(int argc, char** argv);
int cmd_convert(int argc, char** argv);
int cmd_merge(int argc, char** argv);
int cmd_call(int argc, char** argv);
}  // namespace dnassm::app
