// Random draws for the bandits, made from std::mt19937_64's raw output.
//
// The standard fixes the generator's sequence but not the algorithms of
// <random>'s distributions, so std::normal_distribution may differ between
// libstdc++ and libc++; these do not, which keeps a seeded bandit's choices
// the same everywhere.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace switchyard::bandit_random {

// Uniform on [0, 1), 53 random bits.
inline double Uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Uniform on 0..n-1 for n >= 1 (bias below 2^-53 * n).
inline int UniformIndex(std::mt19937_64& rng, int n) {
  const int i = static_cast<int>(Uniform01(rng) * n);
  return i < n ? i : n - 1;
}

// Standard normal, by the Box-Muller transform (one draw per call; two
// generator outputs).
inline double StandardNormal(std::mt19937_64& rng) {
  const double u1 = 1.0 - Uniform01(rng);  // (0, 1]: log is finite
  const double u2 = Uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace switchyard::bandit_random
