// `switchyard load`: the data-loading pipeline benchmark (issue 6) — read a
// gen-data data set with a chosen loader, augment, batch, feed a consumer,
// and report throughput, the consumer's starvation and OS figures.
#pragma once

#include <string>

#include "pipeline/pipeline_options.h"

namespace CLI {
class App;
}

namespace switchyard {

struct LoadFlags {
  PipelineOptions options;
  std::string loader = "threads";
  std::string delivery = "in-order";
  std::string json;
  bool quiet = false;
};

void AddLoadFlags(CLI::App& app, LoadFlags& flags);
// Exit status: 0 the run completed with every file read; 1 the run failed
// or files could not be read (the figures are still printed and written);
// 2 bad flags or a data directory that cannot be used.
int RunLoad(LoadFlags& flags);

}  // namespace switchyard
