/** Implementation of the Azure Key Vault provider; not exported. */
@NullMarked
package dev.envelope.azure.internal;

import org.jspecify.annotations.NullMarked;
