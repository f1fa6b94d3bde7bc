// The NTM step's memory work in one autograd node, for CPUs: ntm_lib/fused.py builds it, and its
// ntm_step calls it in place of NTM.step's tensor operations when the fused step is on.
//
// What it computes is ntm_lib.addressing.address (eqs. 5-9 of the NTM paper, every head), then
// ntm_lib.memory.read (eq. 2, the read heads) and ntm_lib.memory.write (eqs. 3-4, one write head),
// and their gradients, written by hand. Two things make it cheaper than those functions:
//   - fewer passes over the memory: a step reads the memory twice and writes it once going
//     forward (similarities; reads and write) and reads it twice going back, where the autograd
//     of the tensor operations makes about ten passes and sums the memory's gradient from its
//     three users in a pass of its own;
//   - the memory is laid out word-major, (B, M, N) with the N slots contiguous (the state keeps it
//     as a (B, N, M) view of that storage), so every loop over slots is contiguous and vectorises
//     with no horizontal sums: a key's similarity to all slots accumulates one word at a time.
// The small (B, H, N) stages (softmaxes, logarithm, gradients of eqs. 5, 7, 9) are ATen calls.
// Summation orders differ from the tensor operations', so results agree to float rounding.
#include <torch/extension.h>
#include <cmath>
#include <vector>

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define NTM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NTM_CLONES
#endif

template <typename T>
static inline T dot(const T* x, const T* y, int64_t n) {
  T acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t j = 0; j < n; ++j) acc += x[j] * y[j];
  return acc;
}

// y[(i + offset) mod N] += scale * x[i] for i in 0..N-1, as two contiguous loops
template <typename T>
static inline void add_rolled(const T* x, T* y, T scale, int64_t offset, int64_t N) {
  offset = ((offset % N) + N) % N;
  const int64_t head = N - offset;
#pragma omp simd
  for (int64_t i = 0; i < head; ++i) y[i + offset] += scale * x[i];
#pragma omp simd
  for (int64_t i = head; i < N; ++i) y[i - head] += scale * x[i];
}

// cosine similarity (eq. 6). mem (B,M,N), key (B,H,M) -> sim (B,H,N), inv_m (B,N), inv_k (B,H)
template <typename T>
static void cosine_forward(const T* mem, const T* key, T* sim, T* inv_m, T* inv_k,
                           int64_t B, int64_t H, int64_t N, int64_t M, T eps) {
  for (int64_t b = 0; b < B; ++b) {
    const T* kb = key + b * H * M; const T* mb = mem + b * M * N;
    T* ik = inv_k + b * H; T* im = inv_m + b * N; T* sb = sim + b * H * N;
    for (int64_t h = 0; h < H; ++h) ik[h] = T(1) / std::sqrt(dot(kb + h * M, kb + h * M, M) + eps);
    for (int64_t x = 0; x < N; ++x) im[x] = 0;
    for (int64_t x = 0; x < H * N; ++x) sb[x] = 0;
    for (int64_t j = 0; j < M; ++j) {
      const T* col = mb + j * N;
#pragma omp simd
      for (int64_t i = 0; i < N; ++i) im[i] += col[i] * col[i];
      for (int64_t h = 0; h < H; ++h) {
        const T kj = kb[h * M + j]; T* d = sb + h * N;
#pragma omp simd
        for (int64_t i = 0; i < N; ++i) d[i] += kj * col[i];
      }
    }
#pragma omp simd
    for (int64_t i = 0; i < N; ++i) im[i] = T(1) / std::sqrt(im[i] + eps);
    for (int64_t h = 0; h < H; ++h) {
      T* d = sb + h * N; const T k = ik[h];
#pragma omp simd
      for (int64_t i = 0; i < N; ++i) d[i] *= im[i] * k;
    }
  }
}

// interpolation (eq. 7) and circular shift (eq. 8) of rows of N
template <typename T>
static void interpolate_shift(const T* wc, const T* w_prev, const T* g, const T* s, T* wg, T* ws,
                              int64_t rows, int64_t N, int64_t K) {
  const int64_t S = K / 2;
  for (int64_t r = 0; r < rows; ++r) {
    const T* c = wc + r * N; const T* p = w_prev + r * N; T* gt = wg + r * N; T* sh = ws + r * N;
    const T gv = g[r];
#pragma omp simd
    for (int64_t i = 0; i < N; ++i) { gt[i] = gv * c[i] + (T(1) - gv) * p[i]; sh[i] = 0; }
    for (int64_t k = 0; k < K; ++k) add_rolled(gt, sh, s[r * K + k], k - S, N);  // ws(i) += s_k wg(i - o_k)
  }
}

template <typename T>
static void shift_backward(const T* gws, const T* wg, const T* s, T* gwg, T* gs, int64_t rows, int64_t N,
                           int64_t K) {
  const int64_t S = K / 2;
  std::vector<T> rolled(N);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < N; ++i) gwg[r * N + i] = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int64_t o = k - S;
      add_rolled(gws + r * N, gwg + r * N, s[r * K + k], -o, N);  // gwg(j) += s_k gws(j + o_k)
      for (int64_t i = 0; i < N; ++i) rolled[i] = 0;
      add_rolled(wg + r * N, rolled.data(), T(1), o, N);  // rolled(i) = wg(i - o_k)
      gs[r * K + k] = dot(gws + r * N, rolled.data(), N);
    }
  }
}


// read (eq. 2) with R heads, then write (eqs. 3-4) with one head. mem (B,M,N); w (B,H,N) holds the
// R read weightings, then the write weighting (H = R + 1).
template <typename T>
static void access_forward(const T* mem, const T* w, const T* e, const T* a, T* reads, T* out,
                           int64_t B, int64_t R, int64_t N, int64_t M) {
  const int64_t H = R + 1;
  for (int64_t b = 0; b < B; ++b) {
    const T* mb = mem + b * M * N; const T* wb = w + b * H * N; const T* ww = wb + R * N;
    T* ob = out + b * M * N;
    for (int64_t j = 0; j < M; ++j) {
      const T* col = mb + j * N; T* ocol = ob + j * N;
      for (int64_t r = 0; r < R; ++r) reads[(b * R + r) * M + j] = dot(wb + r * N, col, N);
      const T ej = e[b * M + j], aj = a[b * M + j];
#pragma omp simd
      for (int64_t i = 0; i < N; ++i) ocol[i] = col[i] + ww[i] * (aj - col[i] * ej);
    }
  }
}

// What the read and the write give the weightings, erase and add: gw (B,H,N), ge, ga (B,M).
// gr (B,R,M) and gout (B,M,N) may be null (not used downstream).
template <typename T>
static void access_backward_weights(const T* mem, const T* w, const T* e, const T* a, const T* gr,
                                    const T* gout, T* gw, T* ge, T* ga, int64_t B, int64_t R, int64_t N,
                                    int64_t M) {
  const int64_t H = R + 1;
  for (int64_t b = 0; b < B; ++b) {
    const T* mb = mem + b * M * N; const T* ww = w + (b * H + R) * N;
    T* gwb = gw + b * H * N; T* gww = gwb + R * N;
    for (int64_t x = 0; x < H * N; ++x) gwb[x] = 0;
    for (int64_t j = 0; j < M; ++j) {
      const T* col = mb + j * N;
      const T ej = e[b * M + j], aj = a[b * M + j];
      if (gout) {
        const T* go = gout + b * M * N + j * N;
        T sum_e = 0, sum_a = 0;
#pragma omp simd reduction(+ : sum_e, sum_a)
        for (int64_t i = 0; i < N; ++i) {
          gww[i] += go[i] * (aj - col[i] * ej);
          const T gow = go[i] * ww[i];
          sum_e += gow * col[i];
          sum_a += gow;
        }
        ge[b * M + j] = -sum_e;
        ga[b * M + j] = sum_a;
      } else {
        ge[b * M + j] = 0;
        ga[b * M + j] = 0;
      }
      if (gr) {
        for (int64_t r = 0; r < R; ++r) {
          const T g = gr[(b * R + r) * M + j]; T* gwr = gwb + r * N;
#pragma omp simd
          for (int64_t i = 0; i < N; ++i) gwr[i] += g * col[i];
        }
      }
    }
  }
}

// The memory's gradient, from the write, the reads and the similarities, in one pass, and the
// keys' gradient. gsim (B,H,N) is d loss / d similarity.
template <typename T>
static void memory_backward(const T* mem, const T* key, const T* w, const T* e, const T* sim,
                            const T* inv_m, const T* inv_k, const T* gsim, const T* gr, const T* gout,
                            T* gmem, T* gkey, int64_t B, int64_t R, int64_t N, int64_t M) {
  const int64_t H = R + 1;
  std::vector<T> scale(N), c(H * N);
  for (int64_t b = 0; b < B; ++b) {
    const T* mb = mem + b * M * N; const T* kb = key + b * H * M; const T* wb = w + b * H * N;
    const T* ww = wb + R * N; const T* sb = sim + b * H * N; const T* gb = gsim + b * H * N;
    const T* im = inv_m + b * N; const T* ik = inv_k + b * H;
    T* gmb = gmem + b * M * N; T* gkb = gkey + b * H * M;
    for (int64_t i = 0; i < N; ++i) scale[i] = 0;
    for (int64_t h = 0; h < H; ++h) {
      const T* gh = gb + h * N; const T* s = sb + h * N; T* ch = c.data() + h * N; const T k = ik[h];
      T gs = 0;
#pragma omp simd reduction(+ : gs)
      for (int64_t i = 0; i < N; ++i) {
        const T gsi = gh[i] * s[i];
        gs += gsi;
        scale[i] += gsi;
        ch[i] = gh[i] * im[i] * k;
      }
      const T ks = -k * k * gs;  // through |k_h|
      for (int64_t j = 0; j < M; ++j) gkb[h * M + j] = ks * kb[h * M + j];
    }
#pragma omp simd
    for (int64_t i = 0; i < N; ++i) scale[i] *= -im[i] * im[i];  // through |M(i)|
    for (int64_t j = 0; j < M; ++j) {
      const T* col = mb + j * N; T* gcol = gmb + j * N;
      if (gout) {
        const T* go = gout + b * M * N + j * N; const T ej = e[b * M + j];
#pragma omp simd
        for (int64_t i = 0; i < N; ++i) gcol[i] = go[i] * (T(1) - ww[i] * ej) + scale[i] * col[i];
      } else {
#pragma omp simd
        for (int64_t i = 0; i < N; ++i) gcol[i] = scale[i] * col[i];
      }
      if (gr) {
        for (int64_t r = 0; r < R; ++r) {
          const T g = gr[(b * R + r) * M + j]; const T* wr = wb + r * N;
#pragma omp simd
          for (int64_t i = 0; i < N; ++i) gcol[i] += wr[i] * g;
        }
      }
      for (int64_t h = 0; h < H; ++h) {
        const T kj = kb[h * M + j]; const T* ch = c.data() + h * N;
#pragma omp simd
        for (int64_t i = 0; i < N; ++i) gcol[i] += ch[i] * kj;
        gkb[h * M + j] += dot(ch, col, N);
      }
    }
  }
}

// float and double entry points, each compiled for AVX2 and for any x86-64
#define NTM_INSTANTIATE(T)                                                                            \
  NTM_CLONES static void cosine_forward_##T(const T* a, const T* b, T* c, T* d, T* e, int64_t B,      \
      int64_t H, int64_t N, int64_t M, T eps) { cosine_forward<T>(a, b, c, d, e, B, H, N, M, eps); }   \
  NTM_CLONES static void interpolate_shift_##T(const T* a, const T* b, const T* c, const T* d, T* e,  \
      T* f, int64_t rows, int64_t N, int64_t K) { interpolate_shift<T>(a, b, c, d, e, f, rows, N, K); } \
  NTM_CLONES static void shift_backward_##T(const T* a, const T* b, const T* c, T* d, T* e,           \
      int64_t rows, int64_t N, int64_t K) { shift_backward<T>(a, b, c, d, e, rows, N, K); }           \
  NTM_CLONES static void access_forward_##T(const T* a, const T* b, const T* c, const T* d, T* e,     \
      T* f, int64_t B, int64_t R, int64_t N, int64_t M) { access_forward<T>(a, b, c, d, e, f, B, R, N, M); } \
  NTM_CLONES static void access_backward_weights_##T(const T* a, const T* b, const T* c, const T* d,  \
      const T* e, const T* f, T* g, T* h, T* i, int64_t B, int64_t R, int64_t N, int64_t M) {         \
    access_backward_weights<T>(a, b, c, d, e, f, g, h, i, B, R, N, M); }                              \
  NTM_CLONES static void memory_backward_##T(const T* a, const T* b, const T* c, const T* d,          \
      const T* e, const T* f, const T* g, const T* h, const T* i, const T* j, T* k, T* l, int64_t B,  \
      int64_t R, int64_t N, int64_t M) { memory_backward<T>(a, b, c, d, e, f, g, h, i, j, k, l, B, R, N, M); }
NTM_INSTANTIATE(float)
NTM_INSTANTIATE(double)

#define NTM_DISPATCH(dtype, NAME, ...)                                                     \
  if ((dtype) == torch::kFloat) { using T = float; NAME##_float(__VA_ARGS__); }           \
  else if ((dtype) == torch::kDouble) { using T = double; NAME##_double(__VA_ARGS__); }   \
  else { TORCH_CHECK(false, "the fused NTM step takes float32 or float64, got ", dtype); }

#define P(t) (t).data_ptr<T>()
#define PO(t) ((t).defined() ? (t).data_ptr<T>() : nullptr)

// One NTM step's use of the memory: addressing of every head (eqs. 5-9), the reads (eq. 2) and
// one write (eqs. 3-4). memory_t (B,M,N) word-major; w_prev (B,H,N), key (B,H,M), beta, g, gamma
// (B,H), s (B,H,2S+1), erase, add (B,M); H = R + 1, the read heads first.
// Returns the weightings (B,H,N), the reads (B,R,M) and the new memory_t (B,M,N).
struct Step : public torch::autograd::Function<Step> {
  static tensor_list forward(AutogradContext* ctx, Tensor memory_t, Tensor w_prev, Tensor key, Tensor beta,
                             Tensor g, Tensor s, Tensor gamma, Tensor erase, Tensor add, double eps) {
    memory_t = memory_t.contiguous(); key = key.contiguous(); w_prev = w_prev.contiguous();
    g = g.contiguous(); s = s.contiguous(); erase = erase.contiguous(); add = add.contiguous();
    const int64_t B = memory_t.size(0), M = memory_t.size(1), N = memory_t.size(2), H = key.size(1),
                  K = s.size(2), R = H - 1;
    auto o = memory_t.options();
    const auto dt = memory_t.scalar_type();
    auto sim = torch::empty({B, H, N}, o), inv_m = torch::empty({B, N}, o), inv_k = torch::empty({B, H}, o);
    NTM_DISPATCH(dt, cosine_forward, P(memory_t), P(key), P(sim), P(inv_m), P(inv_k), B, H, N, M, T(eps));
    auto wc = torch::softmax(sim * beta.unsqueeze(-1), -1);  // eq. 5
    auto wg = torch::empty({B, H, N}, o), ws = torch::empty({B, H, N}, o);
    NTM_DISPATCH(dt, interpolate_shift, P(wc), P(w_prev), P(g), P(s), P(wg), P(ws), B * H, N, K);
    auto log_ws = torch::log(ws + eps);
    auto w = torch::softmax(log_ws * gamma.unsqueeze(-1), -1);  // eq. 9
    auto reads = torch::empty({B, R, M}, o), out = torch::empty_like(memory_t);
    NTM_DISPATCH(dt, access_forward, P(memory_t), P(w), P(erase), P(add), P(reads), P(out), B, R, N, M);
    ctx->save_for_backward({memory_t, key, w_prev, beta, g, s, gamma, erase, add, sim, inv_m, inv_k, wc, wg, ws,
                            log_ws, w});
    ctx->saved_data["eps"] = eps;
    return {w, reads, out};
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    // the hand-written kernels below record nothing: a second derivative would be silently wrong
    TORCH_CHECK(!torch::GradMode::is_enabled(),
                "the fused NTM step has no double backward (create_graph=True): turn it off "
                "(ntm_lib.fused.use_fused_step(False)) for higher derivatives");
    auto v = ctx->get_saved_variables();
    auto memory_t = v[0], key = v[1], w_prev = v[2], beta = v[3], g = v[4], s = v[5], gamma = v[6];
    auto erase = v[7], add = v[8], sim = v[9], inv_m = v[10], inv_k = v[11], wc = v[12], wg = v[13];
    auto ws = v[14], log_ws = v[15], w = v[16];
    const double eps = ctx->saved_data["eps"].toDouble();
    const int64_t B = memory_t.size(0), M = memory_t.size(1), N = memory_t.size(2), H = key.size(1),
                  K = s.size(2), R = H - 1;
    const auto dt = memory_t.scalar_type();
    Tensor gr = grads[1].defined() ? grads[1].contiguous() : Tensor();
    Tensor go = grads[2].defined() ? grads[2].contiguous() : Tensor();
    // what the reads and the write give the weightings, erase and add
    auto gw = torch::empty_like(w), ge = torch::empty_like(erase), ga = torch::empty_like(add);
    NTM_DISPATCH(dt, access_backward_weights, P(memory_t), P(w), P(erase), P(add), PO(gr), PO(go), P(gw), P(ge),
                 P(ga), B, R, N, M);
    if (grads[0].defined()) gw.add_(grads[0]);
    // sharpening's softmax (eq. 9)
    auto gl = w * (gw - (gw * w).sum(-1, true));
    auto ggamma = (gl * log_ws).sum(-1);
    auto gws = (gl * gamma.unsqueeze(-1) / (ws + eps)).contiguous();
    // shift (eq. 8)
    auto gwg = torch::empty_like(wg), gs = torch::empty_like(s);
    NTM_DISPATCH(dt, shift_backward, P(gws), P(wg), P(s), P(gwg), P(gs), B * H, N, K);
    // interpolation (eq. 7)
    auto gg = (gwg * (wc - w_prev)).sum(-1);
    auto gw_prev = gwg * (1 - g.unsqueeze(-1));
    auto gwc = gwg * g.unsqueeze(-1);
    // content softmax (eq. 5)
    auto gz = wc * (gwc - (gwc * wc).sum(-1, true));
    auto gbeta = (gz * sim).sum(-1);
    auto gsim = (gz * beta.unsqueeze(-1)).contiguous();
    // the memory and the keys, through the similarities (eq. 6), the reads and the write
    auto gmem = torch::empty_like(memory_t), gkey = torch::empty_like(key);
    NTM_DISPATCH(dt, memory_backward, P(memory_t), P(key), P(w), P(erase), P(sim), P(inv_m), P(inv_k), P(gsim),
                 PO(gr), PO(go), P(gmem), P(gkey), B, R, N, M);
    return {gmem, gw_prev, gkey, gbeta, gg, gs, ggamma, ge, ga, Tensor()};
  }
};

std::vector<Tensor> step(Tensor memory_t, Tensor w_prev, Tensor key, Tensor beta, Tensor g, Tensor s,
                         Tensor gamma, Tensor erase, Tensor add, double eps) {
  return Step::apply(memory_t, w_prev, key, beta, g, s, gamma, erase, add, eps);
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("step", &step, "an NTM step's addressing (eqs. 5-9), reads (eq. 2) and write (eqs. 3-4)");
}
