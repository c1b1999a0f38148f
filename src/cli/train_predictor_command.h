// `switchyard train-predictor TRACE -o MODEL`: fits the learned runtime
// predictor (predict/predictor_training.h) on a recorded trace and reports
// how well it predicts requests it did not see. docs/predictor.md.
#pragma once

#include <string>

#include "predict/predictor_training.h"

namespace CLI {
class App;
}

namespace switchyard {

struct TrainPredictorFlags {
  std::string trace;
  std::string model_out;
  TrainingOptions options;
  std::string json;
};

void AddTrainPredictorFlags(CLI::App& app, TrainPredictorFlags& flags);
// Exit codes: 0 trained and written; 2 a bad or too small trace, or the
// model or --json file could not be written. (Flags CLI11 refuses, like
// --holdout 1.5, exit with CLI11's code before this runs.)
int RunTrainPredictor(const TrainPredictorFlags& flags);

}  // namespace switchyard
