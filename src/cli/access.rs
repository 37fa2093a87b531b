//! `akto-connect apim access`

use std::path::PathBuf;

use clap::{Args, ValueEnum};

pub const ACCESS_HELP: &str = "\
Examples:
  # Review, then run with Azure CLI signed in as someone who may create app registrations and
  # assign roles on the instance (Owner or User Access Administrator)
  akto-connect apim access --subscription 00000000-1111-2222-3333-444444444444 \\
      --resource-group rg-apis --apim-service contoso-apim -o apim-access.sh
  bash apim-access.sh

  # The identity for `apim apply` / `apim remove`: a custom role with exactly the policy and
  # fragment actions (plus the reads that list APIs, operations and products) on this instance
  akto-connect apim access --role policy-writer --subscription 00000000-1111-2222-3333-444444444444 \\
      --resource-group rg-apis --apim-service contoso-apim -o apim-writer.sh

  # The same as Bicep (Microsoft Graph Bicep extension for the app registration)
  akto-connect apim access --subscription 00000000-1111-2222-3333-444444444444 \\
      --resource-group rg-apis --apim-service contoso-apim --format bicep -o apim-access.bicep

The script creates (or reuses) the app registration and its service principal, assigns a role on
exactly this instance, and makes a client secret valid for --secret-days. Every create is guarded by a lookup, so a second
run changes nothing (except that a secret it made which has expired is replaced). A new service
principal is waited for, bounded, until Azure RBAC knows it. The secret is read from az at run time
and printed once, with the AZURE_* variables `akto-connect apim specs` reads; it is never written
to a file. When running the script: AKTO_ROTATE_SECRET=1 makes a new secret; AKTO_GH_REPO=OWNER/REPO
stores the secret and the settings of the README's scheduled workflow with `gh` instead of
printing the secret.

Roles (--role):
  reader          built-in API Management Service Reader Role (71522526-b88f-4d52-b57f-d31fc3546d0d):
                  apim specs, apim pull, apim live-coverage.
  policy-writer   a custom role \"Akto Connect APIM Policy Writer (RG/NAME)\" with exactly what
                  apim apply and apim remove call: read and write of the global, product, API and
                  operation policies and of policy fragments, delete of product, API and operation
                  policies (remove deletes one apply created), and read of APIs, operations and
                  products; nothing else. Azure lets a custom role be assignable at a resource
                  group at the narrowest, so the role is defined for the instance's resource group
                  and assigned on the instance only. Creating it needs
                  Microsoft.Authorization/roleDefinitions/write there (Owner or User Access
                  Administrator); a second run updates it only if its actions differ.
  contributor     built-in API Management Service Contributor (312a565d-c81f-4fd8-895a-4e21e48d571c,
                  Microsoft.ApiManagement/service/*): only when nobody may create a custom role;
                  it can change everything on the instance, not only policies.

Exit codes: 0 written; 2 refused input or I/O error, nothing written.";

#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Subscription id (a GUID) of the API Management instance.
    #[arg(long, env = "AZURE_SUBSCRIPTION_ID", value_name = "ID")]
    pub subscription: String,
    /// Resource group of the instance.
    #[arg(long, value_name = "RG")]
    pub resource_group: String,
    /// Name of the API Management instance (NAME in NAME.azure-api.net).
    #[arg(long, value_name = "NAME")]
    pub apim_service: String,
    /// Display name of the app registration to create or reuse [default: akto-connect-apim-reader
    /// for --role reader, akto-connect-apim-writer otherwise].
    #[arg(long, value_name = "NAME")]
    pub app_name: Option<String>,
    /// The role on the instance: reader (apim specs/pull), policy-writer (apim apply/remove, a
    /// custom role), contributor (built-in, wider; when no custom role can be made).
    #[arg(long, value_enum, default_value_t = AccessRoleArg::Reader)]
    pub role: AccessRoleArg,
    /// Days until the client secret expires.
    #[arg(long, value_name = "DAYS", default_value_t = 180, value_parser = clap::value_parser!(u32).range(1..=730))]
    pub secret_days: u32,
    /// Azure CLI script, or Bicep.
    #[arg(long, value_enum, default_value_t = AccessFormatArg::Cli)]
    pub format: AccessFormatArg,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessFormatArg {
    Cli,
    Bicep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessRoleArg {
    Reader,
    PolicyWriter,
    Contributor,
}
