/* A stand-in libcuda.so.1 with no driver inside: lets a machine without a GPU check that the CUDA
   plugin loads (every library and symbol it needs resolves) up to its first driver call. */
int dnassm_fake_cuda_driver;
