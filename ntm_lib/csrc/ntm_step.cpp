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
//     with no horizontal sums: a key's similarity to all slots accumulates one word at a time;
//   - the backward runs one batch entry at a time, all of it: an entry's saved memory comes from
//     main memory once and is still in the cache for the second pass, and the gradients of the
//     small (B, H, N) stages (eqs. 5, 7, 8, 9) cost loops over N, not a dozen tensor operations.
// Going forward, the softmaxes and the logarithm of those stages are ATen calls (vectorised exp
// and log). Summation orders differ from the tensor operations', so results agree to float rounding.
#include <torch/extension.h>
#include <cmath>
#include <vector>

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// With GCC on x86-64, each kernel is compiled twice, for AVX2 with FMA (arch=haswell) and for any
// x86-64, and the loader picks one for the CPU it runs on (target_clones; -DNTM_NO_CLONES builds
// the second alone). The templates below are forced inline so that each clone holds its own copy
// of the loops: a call out to one shared copy would run the baseline code in both.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(NTM_NO_CLONES)
#define NTM_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define NTM_CLONES
#endif
#if defined(__GNUC__) || defined(__clang__)
#define NTM_INLINE __attribute__((always_inline)) inline
#elif defined(_MSC_VER)
#define NTM_INLINE __forceinline
#else
#define NTM_INLINE inline
#endif

template <typename T>
static NTM_INLINE T dot(const T* x, const T* y, int64_t n) {
  T acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t j = 0; j < n; ++j) acc += x[j] * y[j];
  return acc;
}

// y[(i + offset) mod N] += scale * x[i] for i in 0..N-1, as two contiguous loops
template <typename T>
static NTM_INLINE void add_rolled(const T* x, T* y, T scale, int64_t offset, int64_t N) {
  offset = ((offset % N) + N) % N;
  const int64_t head = N - offset;
#pragma omp simd
  for (int64_t i = 0; i < head; ++i) y[i + offset] += scale * x[i];
#pragma omp simd
  for (int64_t i = head; i < N; ++i) y[i - head] += scale * x[i];
}

// cosine similarity (eq. 6). mem (B,M,N), key (B,H,M) -> sim (B,H,N), inv_m (B,N), inv_k (B,H)
template <typename T>
static NTM_INLINE void cosine_forward(const T* mem, const T* key, T* sim, T* inv_m, T* inv_k,
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
static NTM_INLINE void interpolate_shift(const T* wc, const T* w_prev, const T* g, const T* s, T* wg, T* ws,
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

// sum over i of x(i) y(i - offset), indices mod N, as two contiguous dot products
template <typename T>
static NTM_INLINE T dot_rolled(const T* x, const T* y, int64_t offset, int64_t N) {
  offset = ((offset % N) + N) % N;
  return dot(x + offset, y, N - offset) + dot(x, y + N - offset, offset);
}

// The gradients of eqs. 5, 7, 8 and 9 for rows of N (one row per batch entry and head), given
// gw, d loss / d w. Sharpening (eq. 9): w = softmax(gamma log(ws + eps)); shift (eq. 8): ws(i) =
// sum_k s_k wg(i - o_k); interpolation (eq. 7): wg = g wc + (1 - g) w_prev; content (eq. 5):
// wc = softmax(beta sim). Writes the gradients of w_prev, s, g, gamma, beta and sim.
template <typename T>
static NTM_INLINE void addressing_backward(const T* gw, const T* w, const T* log_ws, const T* ws, const T* wg,
                                           const T* wc, const T* w_prev, const T* sim, const T* s, const T* g,
                                           const T* gamma, const T* beta, T* gw_prev, T* gs, T* gg, T* ggamma,
                                           T* gbeta, T* gsim, int64_t rows, int64_t N, int64_t K, T eps,
                                           T* scratch /* 2 N */) {
  const int64_t S = K / 2;
  T* gws = scratch; T* gwg = scratch + N;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t o = r * N;
    // sharpening's softmax: gl = w (gw - <gw, w>), through gamma and log(ws + eps)
    const T gw_dot_w = dot(gw + o, w + o, N), gm = gamma[r];
    T g_gamma = 0;
#pragma omp simd reduction(+ : g_gamma)
    for (int64_t i = 0; i < N; ++i) {
      const T gl = w[o + i] * (gw[o + i] - gw_dot_w);
      g_gamma += gl * log_ws[o + i];
      gws[i] = gl * gm / (ws[o + i] + eps);
    }
    ggamma[r] = g_gamma;
    // shift: gwg(j) = sum_k s_k gws(j + o_k), gs_k = sum_i gws(i) wg(i - o_k)
    for (int64_t i = 0; i < N; ++i) gwg[i] = 0;
    for (int64_t k = 0; k < K; ++k) {
      add_rolled(gws, gwg, s[r * K + k], S - k, N);
      gs[r * K + k] = dot_rolled(gws, wg + o, k - S, N);
    }
    // interpolation, then the content softmax: gz = wc (gwc - <gwc, wc>), gwc = g gwg
    const T gv = g[r];
    T g_g = 0, gwc_dot_wc = 0;
#pragma omp simd reduction(+ : g_g, gwc_dot_wc)
    for (int64_t i = 0; i < N; ++i) {
      g_g += gwg[i] * (wc[o + i] - w_prev[o + i]);
      gw_prev[o + i] = gwg[i] * (T(1) - gv);
      gwc_dot_wc += gwg[i] * gv * wc[o + i];
    }
    gg[r] = g_g;
    const T bt = beta[r];
    T g_beta = 0;
#pragma omp simd reduction(+ : g_beta)
    for (int64_t i = 0; i < N; ++i) {
      const T gz = wc[o + i] * (gwg[i] * gv - gwc_dot_wc);
      g_beta += gz * sim[o + i];
      gsim[o + i] = gz * bt;
    }
    gbeta[r] = g_beta;
  }
}

// read (eq. 2) with R heads, then write (eqs. 3-4) with one head. mem (B,M,N); w (B,H,N) holds the
// R read weightings, then the write weighting (H = R + 1).
template <typename T>
static NTM_INLINE void access_forward(const T* mem, const T* w, const T* e, const T* a, T* reads, T* out,
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

// For one batch entry: what the read and the write give the weightings, erase and add: gw (H,N),
// ge, ga (M). mem (M,N) word-major; w (H,N); gr (R,M) and gout (M,N) may be null (not used downstream).
template <typename T>
static NTM_INLINE void access_backward(const T* mem, const T* w, const T* e, const T* a, const T* gr,
                                       const T* gout, T* gw, T* ge, T* ga, int64_t R, int64_t N, int64_t M) {
  const int64_t H = R + 1;
  const T* ww = w + R * N; T* gww = gw + R * N;
  for (int64_t x = 0; x < H * N; ++x) gw[x] = 0;
  for (int64_t j = 0; j < M; ++j) {
    const T* col = mem + j * N;
    if (gout) {
      const T* go = gout + j * N; const T ej = e[j], aj = a[j];
      T sum_e = 0, sum_a = 0;
#pragma omp simd reduction(+ : sum_e, sum_a)
      for (int64_t i = 0; i < N; ++i) {
        gww[i] += go[i] * (aj - col[i] * ej);
        const T gow = go[i] * ww[i];
        sum_e += gow * col[i];
        sum_a += gow;
      }
      ge[j] = -sum_e;
      ga[j] = sum_a;
    } else {
      ge[j] = 0;
      ga[j] = 0;
    }
    if (gr) {
      for (int64_t r = 0; r < R; ++r) {
        const T g = gr[r * M + j]; T* gwr = gw + r * N;
#pragma omp simd
        for (int64_t i = 0; i < N; ++i) gwr[i] += g * col[i];
      }
    }
  }
}

// For one batch entry: the memory's gradient gmem (M,N), from the write, the reads and the
// similarities, in one pass, and the keys' gradient gkey (H,M). gsim (H,N) is d loss / d similarity.
template <typename T>
static NTM_INLINE void memory_backward(const T* mem, const T* key, const T* w, const T* e, const T* sim,
                                       const T* inv_m, const T* inv_k, const T* gsim, const T* gr, const T* gout,
                                       T* gmem, T* gkey, int64_t R, int64_t N, int64_t M,
                                       T* scratch /* (H + 1) N */) {
  const int64_t H = R + 1;
  const T* ww = w + R * N;
  T* scale = scratch; T* c = scratch + N;
  for (int64_t i = 0; i < N; ++i) scale[i] = 0;
  for (int64_t h = 0; h < H; ++h) {
    const T* gh = gsim + h * N; const T* s = sim + h * N; T* ch = c + h * N; const T k = inv_k[h];
    T gs = 0;
#pragma omp simd reduction(+ : gs)
    for (int64_t i = 0; i < N; ++i) {
      const T gsi = gh[i] * s[i];
      gs += gsi;
      scale[i] += gsi;
      ch[i] = gh[i] * inv_m[i] * k;
    }
    const T ks = -k * k * gs;  // through |k_h|
    for (int64_t j = 0; j < M; ++j) gkey[h * M + j] = ks * key[h * M + j];
  }
#pragma omp simd
  for (int64_t i = 0; i < N; ++i) scale[i] *= -inv_m[i] * inv_m[i];  // through |M(i)|
  for (int64_t j = 0; j < M; ++j) {
    const T* col = mem + j * N; T* gcol = gmem + j * N;
    if (gout) {
      const T* go = gout + j * N; const T ej = e[j];
#pragma omp simd
      for (int64_t i = 0; i < N; ++i) gcol[i] = go[i] * (T(1) - ww[i] * ej) + scale[i] * col[i];
    } else {
#pragma omp simd
      for (int64_t i = 0; i < N; ++i) gcol[i] = scale[i] * col[i];
    }
    if (gr) {
      for (int64_t r = 0; r < R; ++r) {
        const T g = gr[r * M + j]; const T* wr = w + r * N;
#pragma omp simd
        for (int64_t i = 0; i < N; ++i) gcol[i] += wr[i] * g;
      }
    }
    for (int64_t h = 0; h < H; ++h) {
      const T kj = key[h * M + j]; const T* ch = c + h * N;
#pragma omp simd
      for (int64_t i = 0; i < N; ++i) gcol[i] += ch[i] * kj;
      gkey[h * M + j] += dot(ch, col, N);
    }
  }
}

// The whole backward of a step, one batch entry at a time: what the reads and the write give the
// weightings, erase and add; the addressing's stages (eqs. 9, 8, 7, 5); then the gradients of the
// memory and the keys. An entry's memory (M x N) is read from main memory by the first pass and is
// still in the cache for the last. gw_out (B,H,N), d loss / d w from later steps, may be null.
template <typename T>
static NTM_INLINE void step_backward(const T* mem, const T* key, const T* w, const T* e, const T* a, const T* gr,
                                     const T* gout, const T* gw_out, const T* log_ws, const T* ws, const T* wg,
                                     const T* wc, const T* w_prev, const T* sim, const T* inv_m, const T* inv_k,
                                     const T* s, const T* g, const T* gamma, const T* beta, T* gmem, T* gkey,
                                     T* gw_prev, T* gs, T* gg, T* ggamma, T* gbeta, T* ge, T* ga, int64_t B,
                                     int64_t R, int64_t N, int64_t M, int64_t K, T eps) {
  const int64_t H = R + 1;
  std::vector<T> gw(H * N), gsim(H * N), scratch((H + 3) * N);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t bw = b * H * N, bm = b * M * N, bh = b * H;
    const T* grb = gr ? gr + b * R * M : nullptr; const T* gob = gout ? gout + bm : nullptr;
    access_backward(mem + bm, w + bw, e + b * M, a + b * M, grb, gob, gw.data(), ge + b * M, ga + b * M, R, N, M);
    if (gw_out) {
#pragma omp simd
      for (int64_t x = 0; x < H * N; ++x) gw[x] += gw_out[bw + x];
    }
    addressing_backward(gw.data(), w + bw, log_ws + bw, ws + bw, wg + bw, wc + bw, w_prev + bw, sim + bw,
                        s + bh * K, g + bh, gamma + bh, beta + bh, gw_prev + bw, gs + bh * K, gg + bh, ggamma + bh,
                        gbeta + bh, gsim.data(), H, N, K, eps, scratch.data());
    memory_backward(mem + bm, key + bh * M, w + bw, e + b * M, sim + bw, inv_m + b * N, inv_k + bh, gsim.data(),
                    grb, gob, gmem + bm, gkey + bh * M, R, N, M, scratch.data() + 2 * N);
  }
}

// float and double entry points, each compiled for AVX2 and for any x86-64
#define NTM_INSTANTIATE(T)                                                                            \
  NTM_CLONES static void cosine_forward_##T(const T* a, const T* b, T* c, T* d, T* e, int64_t B,      \
      int64_t H, int64_t N, int64_t M, T eps) { cosine_forward<T>(a, b, c, d, e, B, H, N, M, eps); }   \
  NTM_CLONES static void interpolate_shift_##T(const T* a, const T* b, const T* c, const T* d, T* e,  \
      T* f, int64_t rows, int64_t N, int64_t K) { interpolate_shift<T>(a, b, c, d, e, f, rows, N, K); } \
  NTM_CLONES static void access_forward_##T(const T* a, const T* b, const T* c, const T* d, T* e,     \
      T* f, int64_t B, int64_t R, int64_t N, int64_t M) { access_forward<T>(a, b, c, d, e, f, B, R, N, M); } \
  NTM_CLONES static void step_backward_##T(const T* mem, const T* key, const T* w, const T* e, const T* a,  \
      const T* gr, const T* gout, const T* gw_out, const T* log_ws, const T* ws, const T* wg, const T* wc,      \
      const T* w_prev, const T* sim, const T* inv_m, const T* inv_k, const T* s, const T* g, const T* gamma,   \
      const T* beta, T* gmem, T* gkey, T* gw_prev, T* gs, T* gg, T* ggamma, T* gbeta, T* ge, T* ga,            \
      int64_t B, int64_t R, int64_t N, int64_t M, int64_t K, T eps) {                                         \
    step_backward<T>(mem, key, w, e, a, gr, gout, gw_out, log_ws, ws, wg, wc, w_prev, sim, inv_m, inv_k, s, g, \
                     gamma, beta, gmem, gkey, gw_prev, gs, gg, ggamma, gbeta, ge, ga, B, R, N, M, K, eps); }
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
    Tensor gw_out = grads[0].defined() ? grads[0].contiguous() : Tensor();
    beta = beta.contiguous(); gamma = gamma.contiguous();
    auto gmem = torch::empty_like(memory_t), gkey = torch::empty_like(key), gw_prev = torch::empty_like(w);
    auto gs = torch::empty_like(s), gg = torch::empty_like(g), ggamma = torch::empty_like(g);
    auto gbeta = torch::empty_like(g), ge = torch::empty_like(erase), ga = torch::empty_like(add);
    NTM_DISPATCH(dt, step_backward, P(memory_t), P(key), P(w), P(erase), P(add), PO(gr), PO(go), PO(gw_out),
                 P(log_ws), P(ws), P(wg), P(wc), P(w_prev), P(sim), P(inv_m), P(inv_k), P(s), P(g), P(gamma),
                 P(beta), P(gmem), P(gkey), P(gw_prev), P(gs), P(gg), P(ggamma), P(gbeta), P(ge), P(ga), B, R, N, M,
                 K, T(eps));
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
