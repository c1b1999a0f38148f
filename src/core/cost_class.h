// CostClassOf: the coarse name a request's cost is learned under — what the
// runtime predictor keys on and the simulator reports by.
//
//   cpu:2^K    SHA-256 chain of about 2^K iterations (K = floor(log2(iters+1)))
//   io         one SQLite lookup
//   sleep:2^K  a sleep of about 2^K ms
//   model:NAME an inference of model NAME
//
// Powers of two keep the set of classes small whatever clients send (at most
// 65 per mode), while requests within a class differ at most 2x in cost.
#pragma once

#include <string>

#include "core/request.h"

namespace switchyard {

std::string CostClassOf(const ScoreRequest& request);

}  // namespace switchyard
