/** Implementation of the secrets module; not exported. */
@NullMarked
package dev.envelope.secrets.internal;

import org.jspecify.annotations.NullMarked;
