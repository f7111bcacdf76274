"""Sample data shared by tests."""

SPEC_EXAMPLE_LINE = {
    "project_id": "ABC123",
    "stage": "architecture",
    "agent_role": "architect",
    "agent_model": "claude-3-5-sonnet",
    "gate_id": "api_contract_present",
    "gate_result": "fail",
    "gate_result_reason": "File does not exist at api/openapi.yaml",
    "retry_attempt": 1,
    "auto_fix_applied": True,
    "auto_fix_strategy": "architect_drafts_stub",
    "auto_fix_success": True,
    "downstream_feedback": None,
    "timestamp": "2025-10-29T14:30:00Z",
}
