/**
 * semi-supervised transfer from a pre-trained model: adaptive knowledge and representation consistency (AKC, ARC) on supervised fine-tuning, Pseudo-Label, FixMatch, Mean Teacher and ICT
 *
 * Paper: Abuduweili et al., CVPR 2021 (arXiv 2103.02193). Replace this placeholder with the method; keep one concept per file.
 */

/** The package's API version (replace with the method's entry points). */
export function sslTransferVersion(): string {
  return '0';
}
