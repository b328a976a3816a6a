/** Implementation details of the Google Cloud provider; not exported. */
@NullMarked
package dev.envelope.gcp.internal;

import org.jspecify.annotations.NullMarked;
