// drr: deficit round robin across clients (Shreedhar & Varghese, 1995), so
// one heavy client cannot crowd out the others. Each client (Job::client, from
// X-Client-Id) has a FIFO and a deficit; each round, every backlogged client
// is credited `drr_quantum_us` and runs jobs while their predicted cost
// (Job::predicted_us) fits its deficit. Over time each backlogged client gets
// an equal share of the workers' time, whatever its request rate or job size.
//
// A client's deficit is forgotten when its queue empties (idle clients bank
// no credit), and so is the client: the table holds backlogged clients only.
#include <algorithm>
#include <deque>
#include <string>
#include <unordered_map>

#include "policy/policy.h"

namespace switchyard {
namespace {

class DrrPolicy final : public Policy {
 public:
  explicit DrrPolicy(const PolicyOptions& options) : quantum_us_(options.drr_quantum_us) {}

  std::string_view name() const override { return "drr"; }

  void Push(Job job, int64_t /*now_us*/) override {
    auto [it, fresh] = clients_.try_emplace(job.client);
    if (fresh) active_.push_back(&it->second);
    it->second.jobs.push_back(std::move(job));
    ++size_;
  }

  std::optional<Job> Pop(int64_t /*now_us*/) override {
    size_t misses = 0;
    while (!active_.empty()) {
      Client& c = *active_.front();
      if (!c.credited) {
        c.deficit += quantum_us_;
        c.credited = true;
      }
      const int64_t cost = CostOf(c.jobs.front());
      if (cost <= c.deficit) {
        c.deficit -= cost;
        Job job = std::move(c.jobs.front());
        c.jobs.pop_front();
        --size_;
        if (c.jobs.empty()) Forget(job.client);
        return job;
      }
      // Its turn passes with the credit kept for the next round.
      c.credited = false;
      active_.pop_front();
      active_.push_back(&c);
      if (++misses == active_.size()) {
        SkipIdleRounds();
        misses = 0;
      }
    }
    return std::nullopt;
  }

  size_t size() const override { return size_; }

  void TakeExpired(int64_t now_us, std::vector<Job>& expired) override {
    const size_t before = expired.size();
    std::vector<std::string> emptied;
    for (auto& [name, client] : clients_) {
      MoveExpired(client.jobs, now_us, expired);
      if (client.jobs.empty()) emptied.push_back(name);
    }
    for (const auto& name : emptied) Forget(name);
    size_ -= expired.size() - before;
  }

  // Riders on another client's batch are not charged to their client's
  // deficit: the batch's leader paid for the inference.
  void TakeIf(const std::function<bool(const Job&)>& take, std::vector<Job>& taken) override {
    std::vector<std::string> emptied;
    for (auto& [name, client] : clients_) {
      size_ -= MoveIf(client.jobs, take, taken);
      if (client.jobs.empty()) emptied.push_back(name);
    }
    for (const auto& name : emptied) Forget(name);
  }

 private:
  struct Client {
    std::deque<Job> jobs;
    int64_t deficit = 0;
    bool credited = false;  // has had this round's quantum
  };

  static int64_t CostOf(const Job& job) { return std::max<int64_t>(1, job.predicted_us); }

  // After a round in which no client could afford its next job: the rounds
  // that would pass the same way, credited at once, so a 50 ms job behind a
  // 1 ms quantum costs one loop, not fifty. Exactly what those rounds would
  // have done.
  void SkipIdleRounds() {
    int64_t rounds = INT64_MAX;
    for (const Client* c : active_) {
      const int64_t short_by = CostOf(c->jobs.front()) - c->deficit;
      rounds = std::min(rounds, (short_by + quantum_us_ - 1) / quantum_us_ - 1);
    }
    if (rounds <= 0) return;
    for (Client* c : active_) c->deficit += rounds * quantum_us_;
  }

  void Forget(const std::string& name) {
    auto it = clients_.find(name);
    if (it == clients_.end()) return;
    active_.erase(std::find(active_.begin(), active_.end(), &it->second));
    clients_.erase(it);
  }

  const int64_t quantum_us_;
  // Element addresses of an unordered_map survive rehashing: active_ holds them.
  std::unordered_map<std::string, Client> clients_;
  std::deque<Client*> active_;  // backlogged clients in round-robin order
  size_t size_ = 0;
};

}  // namespace

std::unique_ptr<Policy> MakeDrrPolicy(const PolicyOptions& options) { return std::make_unique<DrrPolicy>(options); }

}  // namespace switchyard
