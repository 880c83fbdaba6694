# SPDX-License-Identifier: BSD-3-Clause
mod debian/clustered_session.ini
