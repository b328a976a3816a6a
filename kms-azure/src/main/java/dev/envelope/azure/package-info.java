/** Azure Key Vault master keys: {@link dev.envelope.azure.AzureKeyVaultMasterKey}. */
@NullMarked
package dev.envelope.azure;

import org.jspecify.annotations.NullMarked;
