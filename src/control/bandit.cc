#include "control/bandit.h"

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace switchyard {
namespace {

std::string Number(double v) { return fmt::format("{}", v); }

}  // namespace

Status BanditOptions::Validate() const {
  if (!(epsilon >= 0 && epsilon <= 1))
    return InvalidArgument("bandit epsilon must be in [0, 1], got " + Number(epsilon));
  if (!(epsilon_decay >= 0 && std::isfinite(epsilon_decay))) {
    return InvalidArgument("bandit epsilon decay must be finite and >= 0, got " + Number(epsilon_decay));
  }
  if (!(ucb_c >= 0 && std::isfinite(ucb_c))) {
    return InvalidArgument("bandit ucb c must be finite and >= 0, got " + Number(ucb_c));
  }
  if (!(discount > 0 && discount <= 1)) {
    return InvalidArgument("bandit discount must be in (0, 1], got " + Number(discount));
  }
  if (!(linucb_alpha >= 0 && std::isfinite(linucb_alpha))) {
    return InvalidArgument("bandit linucb alpha must be finite and >= 0, got " + Number(linucb_alpha));
  }
  if (!(linucb_lambda > 0 && std::isfinite(linucb_lambda))) {
    return InvalidArgument("bandit linucb lambda must be finite and > 0, got " + Number(linucb_lambda));
  }
  return Status::Ok();
}

std::vector<std::string_view> BanditNames() { return {"epsilon-greedy", "ucb", "thompson", "contextual"}; }

Result<std::unique_ptr<Bandit>> MakeBandit(std::string_view name, int arms, int context_dims,
                                           const BanditOptions& options) {
  bool known = false;
  std::string names;
  for (std::string_view n : BanditNames()) {
    known = known || n == name;
    names += (names.empty() ? "" : ", ") + std::string(n);
  }
  if (!known) return InvalidArgument("unknown bandit '" + std::string(name) + "' (known: " + names + ")");
  if (arms < 1 || arms > 4096) {
    return InvalidArgument("a bandit needs 1 to 4096 arms (candidate configurations), got " +
                           std::to_string(arms));
  }
  if (context_dims < 0 || context_dims > 64) {
    return InvalidArgument("bandit context must have 0 to 64 features, got " + std::to_string(context_dims));
  }
  Status valid = options.Validate();
  if (!valid.ok()) return valid;
  if (name == "epsilon-greedy") return MakeEpsilonGreedyBandit(arms, options);
  if (name == "ucb") return MakeUcbBandit(arms, options);
  if (name == "thompson") return MakeThompsonBandit(arms, options);
  return MakeLinUcbBandit(arms, context_dims, options);
}

}  // namespace switchyard
