/** Implementation of {@code dev.envelope.aws}; not exported. */
@NullMarked
package dev.envelope.aws.internal;

import org.jspecify.annotations.NullMarked;
